package mdtext

import "testing"

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"docs/a.md", "docs/a.md"},
		{"<b>*x*</b> [l](u)", `\<b\>\*x\*\</b\> \[l\](u)`},
		{"a|b", `a\|b`},
		{"line\nbreak\r", "line break "},
		{"<script>*x*_y_`z`", "\\<script\\>\\*x\\*\\_y\\_\\`z\\`"},
		{"[link](url) ![img]", `\[link\](url) \!\[img\]`},
		{"# heading & ~strike~", `\# heading \& \~strike\~`},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if Plural(1, "file") != "1 file" || Plural(3, "file") != "3 files" {
		t.Error("Plural")
	}
}
