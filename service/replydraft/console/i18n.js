// The console's words in Simplified Chinese and English. Elements carry data-i18n="key" (their
// text) or data-i18n-aria="key" (their aria-label); code calls t("key", {name: value}).
// The drafts themselves stay in the customer's language.

const WORDS = {
  "zh-Hans": {
    skip: "跳到正文", console: "工作台", views: "视图", tab_agent: "客服", tab_content: "知识库",
    tab_qa: "质检", ui_language: "界面语言", sign_out: "退出", dismiss: "关闭",
    signin_title: "登录", signin_help: "粘贴你的 API 密钥。它只保存在这个浏览器标签页里，关闭标签页即忘记。",
    api_key: "API 密钥", sign_in: "登录", signed_in_as: "{name}（{role}）",
    forbidden_title: "你的角色不能使用这个视图", forbidden_detail: "“{role}”角色不能打开“{view}”。",
    queue: "待处理草稿", reload: "刷新", queue_empty: "没有待处理的草稿。", conversation: "对话",
    add_turn: "添加一轮", remove_turn: "删除这一轮", turn_role: "第 {n} 轮：谁说的",
    turn_text: "第 {n} 轮：内容", customer: "顾客", agent: "客服", order_id: "订单号",
    order_status: "订单状态", none: "（无）", order_unpaid: "未付款", order_paid: "已付款",
    order_shipped: "已发货", order_delivered: "已签收", order_refunding: "退款中",
    platform: "平台", own_shop: "独立站", stream: "逐句显示（流式）", make_draft: "生成草稿",
    draft: "草稿", risk_title: "顾客消息有风险", needs_check: "发送前请核实",
    policy_changes: "合规过滤改了什么", edit_label: "要发送的回复（可以修改）",
    override_reason: "主管放行：为什么仍要发送？", approve_anyway: "仍然通过",
    approve: "通过", copy: "复制", reject_reason: "驳回原因", reject: "驳回",
    shortcuts: "快捷键：Alt+A 通过 · Alt+R 驳回 · Alt+N 下一条 · Alt+C 复制",
    language: "语言", intents: "意图", mood: "情绪", readiness: "就绪", backend: "生成方式",
    confidence: "把握", knowledge_version: "知识库版本", sources: "引用",
    mood_calm: "平静", mood_upset: "不满", mood_angry: "生气",
    ready_ready: "可以发送", ready_needs_check: "需要核实", ready_handoff: "需要转人工/主管",
    checking: "正在检查……", check_clean: "合规检查：没有问题。",
    check_flagged: "合规检查：{n} 处问题，发送前请修改。",
    removed: "删除", rewritten: "改写为", approved_ok: "已通过并记录。最终文本已可复制。",
    rejected_ok: "已驳回并记录。", copied: "已复制到剪贴板。", reason_needed: "请先填写驳回原因。",
    no_draft: "先生成或打开一条草稿。", blocked_override: "这段文字被合规过滤拦下。你的角色可以填写原因后放行。",
    blocked: "这段文字被合规过滤拦下，请修改后再通过。",
    drafting: "正在生成……", open_draft: "打开", status: "状态", pending: "待处理",
    approved: "已通过", rejected: "已驳回",
    kb_status: "知识库状态", kb_refresh: "从知识文件重建索引", job: "任务",
    stage_embed: "向量化", job_queued: "排队中", job_running: "进行中", job_succeeded: "已完成", job_failed: "失败",
    elapsed: "{s} 秒", kb_versions: "版本", version: "版本", created: "时间", chunks: "片段",
    findings: "发现", actions: "操作", rollback: "回滚到此版本", serving: "使用中",
    kb_findings: "扫描发现（使用中的版本）", file_line: "文件:行", category: "类别", rule: "规则",
    match: "命中", no_findings: "没有发现。", kb_search: "像草稿生成器一样搜索", query: "查询",
    any: "（任意）", search: "搜索", ready: "就绪", products: "商品", last_refresh: "上次重建",
    warnings: "扫描发现", embedder: "向量模型", by_source: "按来源", by_language: "按语言",
    chunks_added: "新增片段", chunks_removed: "删除片段", chunks_unchanged: "未变片段",
    chunks_embedded: "重新向量化", files_changed: "变更文件", new_version: "新版本",
    rolled_back: "已回滚到版本 {v}。", yes: "是", no: "否",
    stats: "采纳情况", since: "开始", until: "结束", apply: "应用", chart_totals: "全部草稿",
    chart_intent: "按意图", chart_language: "按语言", chart_backend: "按生成方式",
    chart_rules: "触发的合规规则", created_total: "草稿数", median_edit: "编辑距离中位数",
    median_edit_edited: "编辑距离中位数（仅修改过的）", overrides: "主管放行", fallbacks: "离线兜底",
    approved_unedited: "原样通过", approved_edited: "修改后通过",
    drafts: "草稿", intent: "意图", more: "更多", trail: "审计记录", no_data: "没有数据。",
    ev_created: "生成", ev_edited: "修改", ev_blocked: "拦截", ev_override: "主管放行",
    ev_approved: "通过", ev_rejected: "驳回",
    eval_reports: "最近的离线评测", finished: "完成时间", verdict: "结论", suites: "各套件通过率",
    no_evals: "还没有保存的评测：运行 replydraft eval run。", passed: "通过", failed: "未通过",
  },
  en: {
    skip: "Skip to content", console: "console", views: "Views", tab_agent: "Agent",
    tab_content: "Content", tab_qa: "QA", ui_language: "Language", sign_out: "Sign out",
    dismiss: "Dismiss", signin_title: "Sign in",
    signin_help: "Paste your API key. It is kept in this browser tab only and forgotten when the tab closes.",
    api_key: "API key", sign_in: "Sign in", signed_in_as: "{name} ({role})",
    forbidden_title: "Not available for your role", forbidden_detail: "The '{role}' role cannot open '{view}'.",
    queue: "Pending drafts", reload: "Reload", queue_empty: "No pending drafts.",
    conversation: "Conversation", add_turn: "Add a turn", remove_turn: "Remove this turn",
    turn_role: "Turn {n}: who", turn_text: "Turn {n}: text", customer: "Customer", agent: "Agent",
    order_id: "Order number", order_status: "Order state", none: "(none)", order_unpaid: "unpaid",
    order_paid: "paid", order_shipped: "shipped", order_delivered: "delivered",
    order_refunding: "refunding", platform: "Platform", own_shop: "Own shop",
    stream: "Stream sentence by sentence", make_draft: "Draft a reply", draft: "Draft",
    risk_title: "Risky customer message", needs_check: "Check before sending",
    policy_changes: "What the policy filter changed", edit_label: "Reply to send (edit freely)",
    override_reason: "Supervisor override: why send it anyway?", approve_anyway: "Approve anyway",
    approve: "Approve", copy: "Copy", reject_reason: "Reason for rejecting", reject: "Reject",
    shortcuts: "Shortcuts: Alt+A approve · Alt+R reject · Alt+N next draft · Alt+C copy",
    language: "Language", intents: "Intents", mood: "Mood", readiness: "Readiness",
    backend: "Backend", confidence: "Confidence", knowledge_version: "Knowledge version",
    sources: "Sources", mood_calm: "calm", mood_upset: "upset", mood_angry: "angry",
    ready_ready: "ready to send", ready_needs_check: "needs checking",
    ready_handoff: "hand over to a person", checking: "Checking…",
    check_clean: "Policy check: nothing to fix.",
    check_flagged: "Policy check: {n} problem(s); fix before sending.",
    removed: "removed", rewritten: "rewritten as",
    approved_ok: "Approved and recorded. The final text is ready to copy.",
    rejected_ok: "Rejected and recorded.", copied: "Copied to the clipboard.",
    reason_needed: "Give a reason for rejecting first.", no_draft: "Draft or open a draft first.",
    blocked_override: "The policy filter blocks this text. Your role may send it anyway with a reason.",
    blocked: "The policy filter blocks this text; edit it before approving.",
    drafting: "Drafting…", open_draft: "Open", status: "Status", pending: "pending",
    approved: "approved", rejected: "rejected",
    kb_status: "Knowledge status", kb_refresh: "Refresh from the knowledge files", job: "Job",
    stage_embed: "embedding",
    job_queued: "queued", job_running: "running", job_succeeded: "succeeded",
    job_failed: "failed", elapsed: "{s} s", kb_versions: "Versions", version: "Version",
    created: "Created", chunks: "Chunks", findings: "Findings", actions: "Actions",
    rollback: "Roll back to this version", serving: "serving",
    kb_findings: "Scan findings (serving version)", file_line: "File:line",
    category: "Category", rule: "Rule", match: "Match", no_findings: "No findings.",
    kb_search: "Search like the drafter", query: "Query", any: "(any)", search: "Search",
    ready: "Ready", products: "Products", last_refresh: "Last refresh", warnings: "Findings",
    embedder: "Embedder", by_source: "By source", by_language: "By language",
    chunks_added: "Chunks added", chunks_removed: "Chunks removed",
    chunks_unchanged: "Chunks unchanged", chunks_embedded: "Chunks embedded",
    files_changed: "Files changed", new_version: "New version",
    rolled_back: "Rolled back to version {v}.", yes: "yes", no: "no",
    stats: "Acceptance", since: "Since", until: "Until", apply: "Apply",
    chart_totals: "All drafts", chart_intent: "By intent", chart_language: "By language",
    chart_backend: "By backend", chart_rules: "Policy rules fired", created_total: "Drafts",
    median_edit: "Median edit distance", median_edit_edited: "Median edit distance (edited only)",
    overrides: "Overrides", fallbacks: "Offline fallbacks", approved_unedited: "approved as written",
    approved_edited: "approved after an edit", drafts: "Drafts", intent: "Intent", more: "More",
    trail: "Audit trail", no_data: "No data.", ev_created: "created", ev_edited: "edited",
    ev_blocked: "blocked", ev_override: "override", ev_approved: "approved",
    ev_rejected: "rejected", eval_reports: "Latest eval reports", finished: "Finished",
    verdict: "Verdict", suites: "Suites (pass rate)",
    no_evals: "No eval run kept yet: run replydraft eval run.", passed: "passed", failed: "failed",
  },
};

const LANG_SLOT = "replydraft.ui-language";
let current = "zh-Hans";

export function chooseLanguage() {
  const saved = localStorage.getItem(LANG_SLOT);
  if (saved && WORDS[saved]) return saved;
  return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh-Hans" : "en";
}

export function t(key, vars = {}) {
  const text = WORDS[current][key] ?? WORDS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

export function setLanguage(language) {
  current = WORDS[language] ? language : "en";
  localStorage.setItem(LANG_SLOT, current);
  document.documentElement.lang = current;
  translate(document);
  document.dispatchEvent(new CustomEvent("languagechange"));
}

export function translate(root) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-aria]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nAria));
  }
}

export const language = () => current;
