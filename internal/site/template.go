package site

import (
	"crypto/sha256"
	"html/template"
)

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// pageTemplate is html/template, so every string from the manifest, file
// names and step errors is escaped for its context; only goldmark's output
// for Markdown artefacts is inserted as HTML.
var pageTemplate = template.Must(template.New(FileName).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.M.Mission.Name}} · {{.M.Conclusion}}</title>
<style>
body{font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;max-width:1200px;margin:0 auto;padding:16px 24px}
h1,h2,h3{border-bottom:1px solid #d1d9e0;padding-bottom:.3em}
table{border-collapse:collapse;margin:8px 0 16px}
th,td{border:1px solid #d1d9e0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre,.hash{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
pre{background:#f6f8fa;padding:8px;overflow:auto}
pre.mermaid{background:none}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600}
.success{background:#dafbe1;color:#1a7f37}.failure{background:#ffebe9;color:#cf222e}
.cancelled{background:#fff8c5;color:#9a6700}.skipped{background:#f6f8fa;color:#57606a}
.doc{border:1px solid #d1d9e0;border-radius:6px;padding:0 16px;margin:16px 0}
.note{color:#57606a}
</style>
</head>
<body>
<h1>{{.M.Mission.Name}}</h1>
<p><span class="badge {{.M.Conclusion}}">{{.M.Conclusion}}</span>{{with .M.Reason}} {{.}}{{end}}</p>
<table>
<tr><th>Mission file</th><td><code>{{.M.Mission.File}}</code> (SHA-256 <span class="hash">{{.M.Mission.SHA256}}</span>)</td></tr>
<tr><th>Network</th><td>{{.M.Network}}</td></tr>
{{- with .M.Git.Commit}}
<tr><th>Commit</th><td class="hash">{{.}}</td></tr>
{{- end}}
<tr><th>Started</th><td>{{.Started}}</td></tr>
<tr><th>Duration</th><td>{{.Duration}}</td></tr>
<tr><th>Tool</th><td>{{.M.Tool.Name}} {{.M.Tool.Version}}</td></tr>
</table>
<p class="note">Every file below is listed in <a href="./SHA256SUMS">SHA256SUMS</a>, which covers this page too:
check the bundle with <code>sha256sum -c SHA256SUMS</code> in its folder. The run's full record is
<a href="./manifest.json">manifest.json</a>.</p>

<h2>Phases</h2>
{{- if .Graph}}
<pre class="mermaid">{{.Graph}}</pre>
{{- end}}
<table>
<tr><th>Phase</th><th>Step</th><th>Kind</th><th>Status</th><th>Exit</th><th>Duration</th><th>Log</th></tr>
{{- range .Phases}}
<tr><th>{{.Name}}{{with .Needs}}<br><small>needs {{.}}</small>{{end}}</th><td></td><td></td><td><span class="badge {{.Status}}">{{.Status}}</span></td><td></td><td class="num">{{.Duration}}</td><td></td></tr>
{{- range .Steps}}
<tr><td></td><td>{{.Name}}{{with .Error}}<br><small>{{.}}</small>{{end}}</td><td>{{.Kind}}</td><td><span class="badge {{.Status}}">{{.Status}}</span></td><td class="num">{{.Exit}}</td><td class="num">{{.Duration}}</td><td>{{if .LogHref}}<a href="{{.LogHref}}">{{.Log}}</a>{{end}}</td></tr>
{{- end}}
{{- end}}
</table>

{{- if .Markdown}}
<h2>Documents</h2>
<ul>
{{- range .Markdown}}
<li><a href="#{{.ID}}">{{.Path}}</a></li>
{{- end}}
</ul>
{{- range .Markdown}}
<section class="doc" id="{{.ID}}">
<h3><a href="{{.Href}}">{{.Path}}</a></h3>
{{.HTML}}
</section>
{{- end}}
{{- end}}
{{- with .MarkdownNote}}
<p class="note">{{.}}</p>
{{- end}}

<h2>Files</h2>
<p>{{.TotalFiles}} files, then <a href="./manifest.json">manifest.json</a> and <a href="./SHA256SUMS">SHA256SUMS</a>.</p>
<table>
<tr><th>File</th><th>Size (bytes)</th><th>SHA-256</th>{{if .MadeBy}}<th>Made by</th>{{end}}</tr>
{{- range .Files}}
<tr><td><a href="{{.Href}}">{{.Name}}</a></td><td class="num">{{.Size}}</td><td class="hash">{{.SHA256}}</td>{{if $.MadeBy}}<td>{{.MadeBy}}</td>{{end}}</tr>
{{- end}}
</table>
{{- with .FilesNote}}
<p class="note">{{.}}</p>
{{- end}}
<p class="note">Diagrams are drawn by Mermaid {{.MermaidVersion}} (<a href="./assets/mermaid.LICENSE">MIT licence</a>), shipped in this bundle.</p>
<script src="./assets/mermaid.min.js"></script>
<script>
mermaid.initialize({startOnLoad: false, securityLevel: "strict"});
mermaid.run({querySelector: "pre.mermaid", suppressErrors: true});
</script>
</body>
</html>
`))
