package report

// pageHTML is the report page. It has no script and loads nothing: the
// styles are inline and the charts are SVG drawn in Go (chart.go).
const pageHTML = `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>直播复盘报告 · {{.Title}}</title>
<style>
:root { --ink:#1d2330; --muted:#667085; --line:#e4e7ec; --plan:#98a2b3; --act:#2e90fa; --over:#f04438; --ok:#12b76a; --bg:#f8f9fb; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.5 "Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif; color: var(--ink); background: var(--bg); }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-left: 8px; border-left: 4px solid var(--act); }
.sub { color: var(--muted); margin-bottom: 16px; word-break: break-all; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .k { color: var(--muted); font-size: 12px; }
.card .v { font-size: 20px; font-weight: 600; }
.bad { color: var(--over); } .good { color: var(--ok); }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #f2f4f7; font-weight: 600; font-size: 13px; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
.chart { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
.chart svg { width: 100%; height: auto; display: block; }
.legend span { display: inline-block; margin-right: 16px; color: var(--muted); }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; border-radius: 2px; }
svg text { font-size: 12px; fill: var(--muted); }
svg .grid { stroke: var(--line); } svg .axis { stroke: #98a2b3; }
svg .planned { fill: var(--plan); } svg .actual { fill: var(--act); } svg .over { fill: var(--over); }
svg .trend { fill: none; stroke: var(--act); stroke-width: 2; } svg .dot { fill: var(--act); }
.empty { color: var(--muted); padding: 12px; }
.seal { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
</style>
</head>
<body>
<h1>直播复盘报告 · {{.Title}}</h1>
<div class="sub">脚本 {{.ShowID}} · 场次 {{.Run}} · 开播 {{stamp .Started}} · 结束 {{stamp .Ended}}{{if not .EndedOK}}（未正常结束，按最后一条记录计）{{end}} · 时间为北京时间</div>

<div class="cards">
 <div class="card"><div class="k">计划总时长</div><div class="v">{{clock .PlannedTotal}}</div></div>
 <div class="card"><div class="k">实际时长（不含暂停）</div><div class="v">{{clock .ActualTotal}}</div></div>
 <div class="card"><div class="k">超时 / 提前</div><div class="v {{if pos .OverUnder}}bad{{else}}good{{end}}">{{signed .OverUnder}}</div></div>
 <div class="card"><div class="k">调整窗口</div><div class="v">{{.WindowsUsed}} / {{.WindowsTotal}}</div></div>
 <div class="card"><div class="k">暂停次数</div><div class="v">{{.Pauses}}</div></div>
 <div class="card"><div class="k">提示次数</div><div class="v">{{.CuesFired}}</div></div>
 <div class="card"><div class="k">弹幕总数</div><div class="v">{{.DanmakuTotal}}</div></div>
 <div class="card"><div class="k">场景调用 / 失败</div><div class="v">{{len .Recalls}} / <span class="{{if .RecallFailures}}bad{{end}}">{{.RecallFailures}}</span></div></div>
 <div class="card"><div class="k">互动记录</div><div class="v">{{len .Interactions}}</div></div>
 <div class="card"><div class="k">合规提示</div><div class="v {{if .Compliance}}bad{{end}}">{{len .Compliance}}</div></div>
 <div class="card"><div class="k">存证校验</div><div class="v {{if .Chain.OK}}good{{else}}bad{{end}}">{{if .Chain.OK}}通过{{else}}未通过{{end}}</div></div>
</div>

<h2>各环节计划与实际时长</h2>
<div class="chart">
{{with .SegChart}}{{if .Empty}}<div class="empty">无环节</div>{{else}}
<svg viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="各环节计划与实际时长">
{{range .Grid}}<line class="grid" x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}"/>{{end}}
{{range .Ticks}}<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}">{{.Text}}</text>{{end}}
<text x="{{.YTitle.X}}" y="{{.YTitle.Y}}">{{.YTitle.Text}}</text>
{{range .Rects}}<rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Tip}}</title></rect>{{end}}
<line class="axis" x1="{{.Axis.X1}}" y1="{{.Axis.Y1}}" x2="{{.Axis.X2}}" y2="{{.Axis.Y2}}"/>
{{range .Labels}}<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}">{{.Text}}</text>{{end}}
</svg>{{end}}{{end}}
<div class="legend"><span><i style="background:#98a2b3"></i>计划（含调整）</span><span><i style="background:#2e90fa"></i>实际</span><span><i style="background:#f04438"></i>实际（超时）</span><span>横轴为环节序号</span></div>
</div>

<h2>环节明细</h2>
<table>
<tr><th class="n">#</th><th>环节</th><th>类型</th><th class="n">脚本</th><th class="n">调整</th><th class="n">计划</th><th class="n">实际</th><th class="n">偏差</th><th>开始</th><th>结束</th><th>提示</th><th class="n">合规</th></tr>
{{range .Segments}}<tr>
<td class="n">{{inc .Index}}</td><td>{{.Title}}</td><td>{{kindName .Kind}}</td>
<td class="n">{{clock .Script}}</td><td class="n">{{if .Adjusted}}{{signed .Adjusted}}{{else}}—{{end}}</td>
<td class="n">{{clock .Planned}}</td><td class="n">{{if .OnAir}}{{clock .Actual}}{{else}}未播{{end}}</td>
<td class="n {{if pos .Over}}bad{{else if neg .Over}}good{{end}}">{{if .Done}}{{signed .Over}}{{else}}—{{end}}</td>
<td>{{hm .Started}}</td><td>{{hm .Ended}}</td><td>{{cueSummary .Cues}}</td><td class="n">{{.Compliance}}</td>
</tr>{{end}}
</table>

<h2>每分钟弹幕</h2>
<div class="chart">
{{with .DanChart}}{{if .Empty}}<div class="empty">没有每分钟数据记录</div>{{else}}
<svg viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="每分钟弹幕">
{{range .Grid}}<line class="grid" x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}"/>{{end}}
{{range .Ticks}}<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}">{{.Text}}</text>{{end}}
<text x="{{.YTitle.X}}" y="{{.YTitle.Y}}">{{.YTitle.Text}}</text>
<line class="axis" x1="{{.Axis.X1}}" y1="{{.Axis.Y1}}" x2="{{.Axis.X2}}" y2="{{.Axis.Y2}}"/>
<polyline class="trend" points="{{.Points}}"/>
{{range .Dots}}<circle class="dot" cx="{{.X}}" cy="{{.Y}}" r="3"><title>{{.Tip}}</title></circle>{{end}}
{{range .Labels}}<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}">{{.Text}}</text>{{end}}
</svg>{{end}}{{end}}
</div>
{{if .Minutes}}
<table>
<tr><th>分钟</th><th class="n">收到</th><th class="n">上屏</th><th class="n">过滤</th><th class="n">提问</th><th class="n">在线</th><th class="n">点赞</th><th>热词</th></tr>
{{range .Minutes}}<tr><td>{{hm .At}}</td><td class="n">{{.Received}}</td><td class="n">{{.Shown}}</td><td class="n">{{.Filtered}}</td><td class="n">{{.Questions}}</td><td class="n">{{.Viewers}}</td><td class="n">{{.Likes}}</td><td>{{keywords .Keywords}}</td></tr>{{end}}
</table>{{end}}

<h2>计划调整</h2>
{{if .Adjustments}}<table>
<tr><th class="n">记录</th><th>时间</th><th>环节</th><th class="n">调整</th><th>使用窗口</th></tr>
{{range .Adjustments}}<tr><td class="n">{{.Seq}}</td><td>{{hm .At}}</td><td>{{segName $.Report .Segment}}</td><td class="n">{{signed .Delta}}</td><td>{{if .Window}}是{{else}}否{{end}}</td></tr>{{end}}
</table>{{else}}<div class="empty">本场没有调整。</div>{{end}}

<h2>场景调用</h2>
{{if .Recalls}}<table>
<tr><th class="n">记录</th><th>时间</th><th>环节</th><th>预设</th><th>触发</th><th class="n">耗时(ms)</th><th>结果</th></tr>
{{range .Recalls}}<tr><td class="n">{{.Seq}}</td><td>{{hm .At}}</td><td>{{segName $.Report .Segment}}</td><td>{{.Name}} <span class="mono">{{.Preset}}</span></td><td>{{.By}}</td><td class="n">{{if .Finished}}{{f1 .TookMS}}{{else}}—{{end}}</td>
<td>{{if not .Finished}}无结果记录{{else if .Failed}}<span class="bad">失败：{{failed .Failed}}</span>{{else if .Superseded}}被后续调用取代{{else}}<span class="good">成功</span>{{end}}</td></tr>{{end}}
</table>{{else}}<div class="empty">本场没有场景调用记录。</div>{{end}}

<h2>互动（优惠券 / 投票）</h2>
{{if .IxSummaries}}<table>
<tr><th>互动</th><th>内容</th><th>发出时间</th><th>计划环节</th><th>实际环节</th><th>状态</th><th class="n">领取</th><th class="n">库存使用</th><th>每分钟领取</th><th>结果</th><th class="n">参与率</th></tr>
{{range .IxSummaries}}<tr><td class="mono">{{.ID}}</td><td>{{if eq (print .Kind) "coupon"}}券 · {{else}}票 · {{end}}{{.Label}}</td><td>{{hm .FiredAt}}{{if .Queued}}（平台断开，已排队）{{end}}</td>
<td>{{.PlannedNode}}</td><td class="{{if .OffPlan}}bad{{end}}">{{.ActualNode}}</td><td>{{.State}}</td>
<td class="n">{{if eq (print .Kind) "coupon"}}{{.Claims}}{{end}}</td><td class="n">{{if eq (print .Kind) "coupon"}}{{.StockUsed}} / {{.Stock}}{{end}}</td>
<td class="mono">{{ints .ClaimsPerMinute}}</td><td>{{tally .Options .Counts}}</td>
<td class="n">{{if eq (print .Kind) "vote"}}{{.Voters}} / {{if .Viewers}}{{.Viewers}} = {{pct .Participation}}{{else}}在线人数未知{{end}}{{end}}</td></tr>{{end}}
</table>{{end}}
{{if .Interactions}}<table>
<tr><th class="n">记录</th><th>时间</th><th>环节</th><th>类型</th><th>内容</th></tr>
{{range .Interactions}}<tr><td class="n">{{.Seq}}</td><td>{{hm .At}}</td><td>{{segName $.Report .Segment}}</td><td>{{.Kind}}</td><td class="mono">{{.Detail}}</td></tr>{{end}}
</table>{{else}}<div class="empty">本场没有优惠券或投票记录。</div>{{end}}

<h2>合规检查（广告法极限用语，需人工判断）</h2>
{{if .Compliance}}<table>
<tr><th>环节</th><th>字段</th><th>用语</th><th>上下文</th></tr>
{{range .Compliance}}<tr><td>{{if lt .Segment 0}}节目标题{{else}}{{segName $.Report .Segment}}{{end}}</td><td>{{.Field}}</td><td class="bad">{{.Term}}</td><td>{{.Context}}</td></tr>{{end}}
</table>{{else}}<div class="empty">脚本中未发现极限用语。</div>{{end}}

<h2>记录类型</h2>
<table>
<tr><th>类型</th><th class="n">条数</th></tr>
{{range kindCounts .Kinds}}<tr><td class="mono">{{.Kind}}</td><td class="n">{{.Count}}</td></tr>{{end}}
</table>

<h2>电子存证</h2>
<div class="seal">
{{if .Chain.OK}}<p class="good"><b>哈希链校验通过</b>：共 {{.Chain.Records}} 条记录（序号 1–{{.Chain.LastSeq}}）。</p>
{{else}}<p class="bad"><b>哈希链校验未通过</b>：第 {{.Chain.BrokenSeq}} 条记录：{{.Chain.Reason}}。此前 {{.Chain.Records}} 条记录完好。</p>{{end}}
<p>最终哈希（SHA-256）：<span class="mono">{{.Chain.FinalHash}}</span></p>
{{with .Chain.SignedHead}}<p>最新签名检查点 / latest signed head：记录 {{.Seq}}（{{.Reason}}），哈希 <span class="mono">{{.Head}}</span>，签名 <span class="mono">{{.Sig}}</span>，密钥指纹 <span class="mono">{{$.Chain.Key}}</span>。请将此行另行保存（打印或发给制片），复核时用 <span class="mono">studiodesk verify --head</span> 比对。</p>{{else}}<p>本场日志没有签名检查点。</p>{{end}}
<p>复核：<span class="mono">studiodesk verify {{.Run}}</span>；导出后离线复核：<span class="mono">studiodesk export {{.Run}} --out show.jsonl</span>，再 <span class="mono">studiodesk verify --file show.jsonl</span>（或按 docs/evidence.md 用 sha256sum 手工核对）。</p>
</div>
</body>
</html>
`
