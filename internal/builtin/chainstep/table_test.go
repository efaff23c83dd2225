package chainstep

import "testing"

func TestTable(t *testing.T) {
	got := Table([]string{"Call", "On-chain", "Notes"}, [][]string{
		{"kp()(int256)", "200000000000000000", ""},
		{"name()(string)", "a|b @alice\n<b>", "  "},
	})
	want := "| Call | On\\-chain | Notes |\n" +
		"| --- | --- | --- |\n" +
		"| kp\\(\\)\\(int256\\) | 200000000000000000 | — |\n" +
		"| name\\(\\)\\(string\\) | a&#124;b @\u2060alice &lt;b&gt; | — |\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
