"""Drop boilerplate: site chrome that is not content, and fragments too short to be content.

Reasons, checked in this order:

``site_heading``
    a whole record that is a section heading of the site: related content (相关内容, 相關內容,
    Related articles), recommendations (推荐阅读, 猜你喜欢, You may also like), the paper-page
    headings of the seed site (摘要（中文）, 一句话要点 ...).
``navigation``
    a whole record of navigation or toolbar text: read more, previous/next, back to top,
    share/print/favourite buttons, login and sign-up prompts; a pager (上一页 1 2 3 下一页,
    Page 2 of 7: only numbers, pager words and punctuation, at most 100 characters); a
    breadcrumb of at most 200 characters (首页 > 新闻中心 > 正文, 当前位置：..., Home » News:
    "you are here", or the home page's name followed by a path separator).
``copyright_notice``
    a short record (at most ``Config.chrome_max_chars``; twice that when the record starts
    with the notice: © 2022, Site.com. This article is ...) with a copyright or licence notice:
    ©, "Copyright 2020", "All rights reserved", 版权所有, ICP licence numbers (京ICP备12345678号),
    public-security filing numbers (公网安备).
``company_footer``
    a short record (at most 40 characters) that is a company name: it ends in a legal-form
    suffix (有限公司, 股份有限公司, 集团, Co., Ltd., Inc., LLC, GmbH).
``page_metadata``
    a short record (at most 160 characters) that is a metadata line of a post or a paper page:
    a label (author, published, updated, tags, source, views; 作者, 发布日期, 来源, 分类,
    备注, 阅读; 작성일; ...), a colon, a short value; or a date line without a colon
    (Aktualisiert am 17.01.2021, Updated on 3 March 2021). An author list or an arXiv comments
    field (authors, 作者, 备注, comments) may run to 600 characters. A paper's keywords are
    content, not metadata.
``call_to_action``
    a record of at most 300 characters in which the site asks the reader to do something that
    is not reading the article: sign up for its newsletter, subscribe or log in to read on
    (a paywall), become a member, donate or support it, download its app, join or follow its
    channel (Sign up to get the best content of the week; Zum Newsletter anmelden; HAZTE
    MIEMBRO; Únete a nuestro canal de Telegram; Abonnez-vous; 订阅我们; 下载APP).
``policy_notice``
    a record of at most 400 characters that is a cookie or consent notice or an advertising
    or affiliate disclosure: the "policy" lines C4 removes (Raffel et al. 2020, "Exploring
    the limits of transfer learning", section 2.2: lines with "cookie policy", "uses
    cookies"), in English, German, Spanish, French and Italian, the wording of consent
    managers (Verarbeitungsvorgänge, Speicherdauer), and disclosures (affiliate links,
    sponsored, a leading Anzeige or Werbung label, we may receive compensation). A site's
    terms or privacy policy named in a record of at most 200 characters that addresses the
    reader or names the site (Read our privacy policy; akzeptieren Sie unsere
    Nutzungsbedingungen); C4's rule drops any line naming them, which drops research on
    privacy policies too (由于隐私政策限制 in an abstract).
``too_short``
    fewer than ``Config.min_cjk_chars`` CJK characters and fewer than ``Config.min_words``
    other words: a fragment that carries no content (menu items, stray labels).
``chrome_only``
    a page's document (:mod:`corpus_clean.stages.extract`) every line of which is one of the
    above (chrome, or a fragment too short to be content): what an extractor returns from a
    page of navigation with no article (its fallback keeps the menu).

A page's document is judged line by line first: a line that is a site heading, navigation, a
copyright notice, a company footer, page metadata, a call to action or a policy notice
(:data:`LINE_REASONS`), or a fragment
too short to be content that occurs twice or more in the document, or a later copy of a
longer line (``repeated_line``: an extractor that emitted a paragraph twice), or a line made
of segments (split at ``|``, `` · ``, `` • ``) each of which is chrome or a fragment, is
removed from the document and
kept in ``Record.removed`` (written to ``removed-lines.jsonl`` and counted in ``stats.json``
``line_drops``); then the document is judged as a whole, as any record.

The patterns were written from the seed dump (相關內容, 北京阿比特科技有限公司) and the labelled
site chrome in ``shared/data/boilerplate`` (trafilatura's evaluation data, the seed site's page
toolbars); an abstract is never matched because the patterns match whole short records only.
"""

from __future__ import annotations

import re
import unicodedata

from ..config import Config
from ..records import Drop, Record
from ..unicode_scripts import count_scripts

REASONS = ("site_heading", "navigation", "copyright_notice", "company_footer", "page_metadata",
           "call_to_action", "policy_notice", "too_short", "chrome_only")
#: the reasons for which a line of a page's document is removed from it (a short line inside a
#: document is a heading or a list item as often as chrome: ``too_short`` is not among them)
LINE_REASONS = ("site_heading", "navigation", "copyright_notice", "company_footer",
                "page_metadata", "call_to_action", "policy_notice")

__all__ = ["REASONS", "BoilerplateFilter", "classify_boilerplate"]

_EDGE = r"[\s\W_]*"  # punctuation, symbols, emoji and spaces around a heading

_HEADINGS = [
    "相关内容", "相關內容", "相关文章", "相關文章", "相关阅读", "相關閱讀", "相关推荐", "相關推薦",
    "相关论文", "相關論文", "推荐阅读", "推薦閱讀", "延伸阅读", "延伸閱讀", "猜你喜欢", "猜你喜歡",
    "热门文章", "熱門文章", "热门推荐", "熱門推薦", "精彩推荐", "精彩推薦", "最新文章", "更多内容",
    "更多內容", "相关链接", "相關鏈接", "友情链接", "友情鏈接", "热门标签", "熱門標籤", "标签", "標籤",
    "摘要(中文)", "摘要(原文)", "一句话要点", "一句話要點", "核心要点", "核心要點", "实验亮点",
    "實驗亮點", "应用场景", "應用場景", "论文信息", "論文信息", "作者信息", "方法详解", "方法詳解",
    "关键图片", "關鍵圖片", "研究背景", "主要贡献", "主要貢獻", "实验结果", "實驗結果", "论文链接", "論文鏈接",
    "related content", "related contents", "related articles", "related posts", "related stories",
    "related papers", "related reading", "related links", "you may also like", "you might also like",
    "recommended for you", "recommended reading", "recommended articles", "more from this author",
    "popular posts", "recent posts", "most popular", "trending", "tags", "categories", "archives",
    # German, Spanish, French, Portuguese, Italian
    "schon gelesen?", "auch interessant", "das könnte sie auch interessieren",
    "das könnte dich auch interessieren", "empfohlene beiträge", "ähnliche beiträge",
    "ähnliche artikel", "verwandte artikel", "meistgelesen", "meistgelesene artikel",
    "meist-diskutiert", "meistdiskutiert", "lust auf mehr?", "notas relacionadas",
    "lo más leído", "lo más visto", "más leídas", "más noticias", "te recomendamos",
    "à lire aussi", "les plus lus", "sur le même thème", "leia também", "mais lidas",
    "notícias relacionadas", "articoli correlati", "più letti",
    # the site's policies, as a link or heading
    "impressum", "datenschutz",
    "datenschutzerklärung", "nutzungsbedingungen", "aviso legal", "mentions légales",
    "隐私政策", "隱私政策", "隐私条款", "隱私條款", "使用条款", "使用條款", "用户协议", "用戶協議",
    "免责声明", "免責聲明", "法律声明", "法律聲明",
]
_NAVIGATION = [
    r"read more", r"continue reading", r"more\W*»?", r"learn more", r"see more", r"show more",
    r"view (?:all|more)", r"back to top", r"go to top", r"top of page", r"skip to (?:main )?content",
    r"home(?: page)?", r"previous(?: post| article| page)?", r"next(?: post| article| page)?",
    r"older posts?", r"newer posts?", r"(?:share|tweet|email|print|save)(?: (?:this|on|to|via) .{0,20})?",
    r"log ?in", r"sign ?in", r"sign ?up", r"register", r"subscribe(?: now)?", r"leave a (?:comment|reply)",
    r"\d* ?comments?", r"reply", r"like", r"follow us(?: on .{0,20})?", r"menu", r"search",
    r"pdf", r"download(?: pdf)?", r"(?:📄 )?arxiv: ?\d{4}\.\d{4,5}(?:v\d+)?.{0,40}",
    r"read more: .{0,60}", r"scroll down.{0,40}", r"(?:leave a reply|cancel reply).{0,60}",
    r"your email address will not be published.{0,40}", r"notify me of .{0,40}by email",
    r"sign up (?:to|for) .{0,50}", r"(?:subscribe|sign up) to our .{0,40}newsletter",
    r"already (?:a member|have an account)\?.{0,50}", r"(?:get help )?create an account.{0,60}",
    r"privacy policy", r"terms of (?:use|service)", r"cookie (?:policy|settings)",
    r"we ask that comments .{0,80}", r"comments are closed", r"all comments are moderated.{0,40}",
    # "more on", "related content", "read on", "next article" in German, Spanish, French
    r"(?:más sobre|contenido relacionado|noticias relacionadas|zum weiterlesen|weiterlesen"
    r"|weitere beiträge|weitere artikel|mehr zum thema|nächster artikel|vorschau auf den "
    r"nächsten artikel|pour lire la suite|lire la suite|articles similaires|sur le même sujet)"
    r"(?:\s*[:：»|-]?\s*.{0,80})?",
    r"阅读全文", r"閱讀全文", r"阅读更多", r"閱讀更多", r"查看更多", r"查看全文", r"点击查看", r"點擊查看",
    r"展开全文", r"展開全文", r"上一篇.{0,30}", r"下一篇.{0,30}", r"返回顶部", r"返回頂部", r"返回首页",
    r"返回首頁", r"返回列表", r"首页", r"首頁", r"登录", r"登錄", r"登入", r"注册", r"註冊", r"立即登录",
    r"分享到?.{0,12}", r"收藏", r"打印", r"列印", r"评论", r"評論", r"点赞", r"點讚", r"关注我们",
    r"關注我們", r"扫码关注", r"掃碼關注", r"复制链接", r"複製鏈接", r"举报", r"舉報", r"更多",
]
# "read also" teasers: a cue, then another article's headline, up to 200 characters (Lea
# también: ..., Lesen Sie auch: ..., MIRA: ..., À lire aussi ..., Читайте также: ...,
# 相关阅读：...), and a headline set off as a link (>> ... <<)
_TEASER_RE = re.compile(
    r"[\W_]*(?:read also|also read|see also|related(?: article| story| post)?"
    r"|lea(?: también| más)?|le puede interesar|te puede interesar|mira|mire|vea también"
    r"|puedes ver|lee también|lee más|te recomendamos|lesen sie (?:auch|mehr)|mehr zum thema"
    r"|auch interessant|auch lesen|lies auch|siehe auch|[àa] lire (?:aussi|également)"
    r"|lire aussi|voir aussi|leia (?:também|mais)|veja também|leggi anche|читайте также"
    r"|также читайте|相关阅读|相關閱讀|延伸阅读|延伸閱讀|推荐阅读|推薦閱讀|あわせて読みたい|関連記事"
    r"|함께 보면 좋은 글)\s*[:：»|-]\s*.{0,190}"
    r"|\s*>>\s*\S.{3,190}\S\s*<<\s*", re.IGNORECASE | re.DOTALL)
# a link to more articles of a kind (Weitere aktuelle Themen aus der Arbeitswelt, Top-Themen
# bei ..., Beiträge aus dem Forum, More stories from ...): at most 100 characters and no
# sentence end
_MORE_LINKS_RE = re.compile(
    r"[\W_]*(?:(?:weitere|mehr|top|aktuelle|neueste|ähnliche|more|latest|other)[- ]"
    r"(?:\w+[- ])?(?:themen|artikel|beiträge|nachrichten|meldungen|tipps|tourentipps|videos"
    r"|stories|articles|posts|news)|beiträge aus dem forum)\b[^.!?]{0,70}", re.IGNORECASE)
_HEADING_RE = re.compile(
    _EDGE + "(?:" + "|".join(re.escape(h) for h in _HEADINGS) + ")" + _EDGE, re.IGNORECASE
)
_NAVIGATION_RE = re.compile(_EDGE + "(?:" + "|".join(_NAVIGATION) + ")" + _EDGE, re.IGNORECASE)
# A toolbar of several buttons on one line (📥 PDF ☆ 收藏 🔗 分享).
_TOOLBAR_RE = re.compile(
    r"(?:[\W_]*(?:pdf|收藏|分享|打印|下载|下載|引用|cite|share|print|save|arxiv: ?[\w.]+)[\W_]*){2,}",
    re.IGNORECASE,
)
_COPYRIGHT_RE = re.compile(
    r"©|\(c\)\s*(?:19|20)\d\d|copyright\s*(?:©|\(c\)|(?:19|20)\d\d|:)|all rights reserved"
    r"|\bis the copyrighted property of\b|\bcopyright notice\b|\binhalte dieser (?:website|seite)"
    r"|\bcontent (?:on|of) this (?:site|website) is\b|\bthis (?:work|site|article) is licensed under"
    r"|\blicensed under a creative commons\b"
    r"|版权所有|版權所有|版权声明|版權聲明|icp\s*[备備证證]|[备備]案号|公网安备|公網安備|增值电信业务经营许可证",
    re.IGNORECASE,
)
# a record that starts with a copyright notice (© 2022, Site.com. This article is ...): a
# notice however long it runs, up to twice ``chrome_max_chars``
_COPYRIGHT_LEAD_RE = re.compile(
    r"\W*(?:©|\(c\)\s*(?:19|20)\d\d|copyright\s*(?:©|\(c\)|(?:19|20)\d\d|:))", re.IGNORECASE)
# what separates the items of a line of chrome (a date | categories | comments link)
_SEGMENT_SEP_RE = re.compile(r"\s*(?:\||\s·\s|\s•\s)\s*")
_COMPANY_RE = re.compile(
    r"(?:有限责任公司|有限責任公司|股份有限公司|有限公司|集团|集團|工作室|科技公司"
    r"|co\.?,?\s*ltd\.?|inc\.?|llc\.?|gmbh|ltd\.?|limited|corporation|corp\.?)\W*$",
    re.IGNORECASE,
)
_SENTENCE_PUNCT_RE = re.compile(r"[。！？!?]|\.\s")
# A metadata line of a post or a paper page: a label of the page's metadata, a colon, a short
# value (作者: admin, 发布日期: 2025-10-12, Published: Oct. 2, 2023, Tags: ..., 작성일 ...).
_METADATA_LABELS = (
    r"authors?|posted(?: by| on)?|published(?: on| by)?|(?:last )?updated(?: on)?|date"
    r"|release time|categor(?:y|ies)|kategorien?|categoría|catégorie|tags?|source|quelle|fuente"
    r"|(?:news|post|publication|release|upload) date|filed under|reading time|views?|kommentare"
    r"|comments?|date de parution|dernière mise à jour|mis à jour le|publié le|veröffentlicht"
    r"|aktualisiert|autor(?:es)?|fecha|publicado"
    r"|作者|来源|來源|出处|出處|发布(?:日期|时间|時間|者)?|發布(?:日期|時間|者)?|發表(?:日期|時間)?"
    r"|更新(?:日期|时间|時間)|日期|时间|時間|分类|分類|标签|標籤|备注|備註"
    r"|阅读(?:量|数|次数)?|閱讀(?:量|數|次數)?|浏览(?:量|次数)?|瀏覽(?:量|次數)?|点击(?:量|数|次数)?"
    r"|點擊(?:量|數|次數)?|访问量|訪問量|查看|编辑|編輯|责任编辑|責任編輯|投稿日|更新日|作成日"
    r"|작성일|수정일|조회수|작성자")
_METADATA_RE = re.compile(r"[\W_]*(?:" + _METADATA_LABELS + r")\s*[:：]\s*\S.{0,150}",
                          re.IGNORECASE | re.DOTALL)
# a paper page's author list or arXiv comments field runs longer (作者: 14 names; 备注: 7 pages,
# 5 figures, accepted at ...): up to 600 characters for these labels
_LONG_METADATA_RE = re.compile(r"[\W_]*(?:authors?|autor(?:es|en)?|auteurs?|作者|备注|備註|comments)"
                               r"\s*[:：]\s*\S.{0,590}", re.IGNORECASE | re.DOTALL)
# a date line without a colon (Aktualisiert am 17.01.2021., Updated on 3 March 2021, Publié le
# 2 mai 2022)
_DATED_RE = re.compile(
    r"[\W_]*(?:zuletzt |letzte |last )?(?:aktualisiert|aktualisierung|veröffentlicht|geändert"
    r"|updated|published|posted|publié|mis à jour|publicado|actualizado)\s+(?:am|on|le|el)\s+"
    r"\d.{0,60}", re.IGNORECASE | re.DOTALL)

# The site asking the reader to act (newsletter, paywall, membership, donation, app, channel):
# phrases addressed to the reader, in the languages of the labelled pages and web chrome.
_CALL_TO_ACTION_RE = re.compile(
    r"\bsubscribe (?:now|today|here|for|to (?:our|the|read|continue|get|access|view))"
    r"|\bplease (?:subscribe|log ?in|sign ?in|sign ?up|register|donate|support)\b"
    r"|\balready (?:a )?(?:subscriber|member)\b|\bsubscribers? (?:also |only )?(?:receive|get)\b"
    r"|\b(?:log|sign) ?in (?:for|to) (?:immediate |full |unlimited )?(?:access|read|continue)"
    r"|\bfor the full (?:story|article)|\bto (?:view|read|access) the full (?:story|article)"
    r"|\bsign ?up (?:here|now|today|for free|free|to (?:get|receive|our)|for (?:our|the|free))\b"
    r"|\bfree sign ?up\b|\bsigning up\b"
    r"|\bdonate (?:now|today|here|to (?:us|our))\b|\bdonate\W*$|\bmake a donation\b"
    r"|\bconsider supporting\b|\bsupport (?:our|independent|quality) (?:work|journalism"
    r"|reporting|mission)\b|\bsupport us\b|\bbecome a (?:member|subscriber|patron|supporter)"
    r"|\bdownload (?:the|our) .{0,40}\bapps?\b|\bapps? (?:for|on) (?:ios|android)"
    r"|\b(?:follow|join) us on\b|\bjoin our (?:\w+ )?(?:channel|community|mailing list)"
    r"|\bour (?:telegram|youtube|whatsapp|discord) channel|\bnever miss (?:a|an|the|our)\b"
    r"|\b(?:daily|weekly) (?:edition|digest|briefing) by email|\bpaywall\b|bezahlschranke"
    r"|\babonnieren\b|\b(?:hier|jetzt|kostenlos|einfach) (?:\w+ ){0,4}?(?:registrieren|anmelden"
    r"|abonnieren|klicken|spenden)\b|\bmelde dich (?:\w+ ){0,4}?(?:an|für)\b"
    r"|\bmelden sie sich (?:\w+ ){0,4}?(?:an|für)\b|\bunterstütze (?:uns|\w+ (?:bereits|mit|jetzt))"
    r"|\bunterstützen sie (?:uns|unsere)\b"
    r"|\bsuscr[ií]b(?:e|ete|ase|irse)\b|\bhazte (?:miembro|socio|suscriptor)"
    r"|\b[uú]nete (?:a|desde|hoy|ya)\b|\bs[ií]guenos (?:en|a)\b"
    r"|\bcanal de (?:telegram|youtube|whatsapp)|\bdescarga (?:nuestra|la) app"
    r"|\bapoya (?:nuestro|el|al) periodismo|\bpuedes hacer periodismo|\bcancela cuando quieras"
    r"|\babonnez-vous\b|\binscrivez-vous\b|\bpour accéder en illimité|\bsoutenez(?:-nous)?\b"
    r"|\brejoignez-nous\b|\bsuivez-nous\b|\btéléchargez (?:notre|l'application)"
    r"|\bassine (?:já|agora)\b|\binscreva-se\b|\biscriviti\b|\babbonati\b|\bseguici su\b"
    r"|订阅我们|訂閱我們|扫码关注|掃碼關注|扫一扫下载|掃一掃下載|下载客户端|下載客戶端|关注公众号"
    r"|關注公眾號|欢迎关注|歡迎關注",
    re.IGNORECASE)
# a newsletter named in a short line is the site's (PC Gamer Newsletter, Musiknewsletter)
_NEWSLETTER_RE = re.compile(r"newsletter|boletín|infolettre|lettre d'information",
                            re.IGNORECASE)
# Cookie and consent notices (C4's policy lines, and their kin in other languages and in
# consent managers) and advertising or affiliate disclosures: these phrases alone.
_POLICY_RE = re.compile(
    r"\b(?:this (?:site|website)|we) uses? cookies\b|\buse of cookies\b|\bwe use cookies\b"
    r"|\baccept (?:all )?cookies\b|\bcookie (?:policy|settings|preferences|consent)\b"
    r"|verwendet cookies|nutzt cookies|cookie-einstellungen|cookie-richtlinie"
    r"|einwilligen bzw|einwilligung in die verarbeitung|verarbeitungsvorgänge|speicherdauer"
    r"|um den inhalt von .{1,80} zu laden|to load the content (?:of|from)\b"
    r"|utiliza(?:mos)? cookies|utilise des cookies|utilizza (?:i )?cookie"
    r"|\baffiliate[- ]?links?\b|\bpartner-?links?\b|provisions-?links?\b"
    r"|\badvertis(?:er|ing) disclosure\b|\bwe (?:may )?(?:receive|earn) (?:a )?"
    r"(?:compensation|commission)|\benthält werbung\b"
    r"|^\W*(?:anzeige|werbung|publicidad|publicité|advertisement|sponsored|gesponsert|广告|廣告)"
    r"\s*(?:[:.\-–—|*)\]]|$)|\bsponsored (?:content|post|by)\b|\bcontenido patrocinado\b"
    r"|\bbezahlte partnerschaft\b|\bproduct advertising api\b|\bas an amazon associate\b",
    re.IGNORECASE)
# the site's policies and terms, named in a short record that speaks to the reader or of the
# site (Read our privacy policy; Mit der Registrierung akzeptieren Sie unsere ...
# Nutzungsbedingungen): research on privacy policies names them too, without addressing anyone
_POLICY_NAME_RE = re.compile(
    r"\bterms of (?:use|service)\b|\bprivacy (?:policy|notice|statement)\b|datenschutzerklärung"
    r"|datenschutzhinweise|hinweise zum datenschutz|nutzungsbedingungen"
    r"|pol[ií]tica de (?:privacidad|privacidade|cookies)|términos y condiciones|\baviso legal\b"
    r"|politique de (?:confidentialité|cookies)|conditions (?:générales )?d'utilisation"
    r"|mentions légales|informativa (?:sulla )?privacy|termos de uso", re.IGNORECASE)
_READER_RE = re.compile(
    r"\b(?:our|your|you|this (?:site|website|page)|unser(?:e[nrms]?)?|ihr(?:e[nrms]?)?|sie|du"
    r"|dein(?:e[nrms]?)?|dieser (?:website|seite)|nuestr[ao]s?|tus?|sus?|notre|nos|vos|votre"
    r"|nostr[ao]|nossa|nosso)\b", re.IGNORECASE)

# Literals (lower case) of which each alternative of a pattern above holds one: where none
# occurs in a record, the pattern cannot match, and is not run (a search of these long
# alternations tried every alternative at every character: 2.8 s for the 26,000 lines of
# the labelled pages; the ``in`` tests take a tenth of it).
_CALL_TO_ACTION_HINTS = (
    "subscri", "please", "already", "log", "sign", "full story", "full article", "donat",
    "support", "become a", "download", "app", "follow us", "join", "channel", "never miss",
    "by email", "paywall", "bezahlschranke", "abonn", "hier ", "jetzt ", "kostenlos ",
    "einfach ", "melde", "unterstütz", "suscr", "hazte", "nete ", "guenos", "canal de",
    "descarga", "apoya", "periodismo", "cancela", "inscri", "illimit", "souten", "rejoign",
    "suivez", "téléchargez", "assine", "inscreva", "iscriviti", "abbonati", "seguici", "订阅", "訂閱",
    "扫码", "掃碼", "扫一扫", "掃一掃", "下载客户端", "下載客戶端", "关注", "關注")
_NEWSLETTER_HINTS = ("newsletter", "boletín", "infolettre", "lettre d'information")
_POLICY_HINTS = (
    "cookie", "einwillig", "verarbeitungsvorg", "speicherdauer", "zu laden",
    "to load the content", "affiliate", "partner", "provision", "disclosure", "compensation",
    "commission", "werbung", "anzeige", "publicidad", "publicité", "advertis", "sponsor",
    "gesponsert", "广告", "廣告", "patrocinado", "amazon associate")
_POLICY_NAME_HINTS = (
    "terms of", "privacy", "datenschutz", "nutzungsbedingungen", "polític", "politica", "términos",
    "aviso legal", "politique de", "conditions", "mentions légales", "informativa",
    "termos de uso")
_COPYRIGHT_HINTS = (
    "©", "(c)", "copyright", "all rights reserved", "inhalte dieser", "this site",
    "this website", "licensed under", "版权", "版權", "icp", "案号", "案號", "公网安备", "公網安備",
    "增值电信")


def _gate(hints: tuple[str, ...]) -> re.Pattern:
    """One search for any of ``hints`` (3x faster than an ``in`` test per hint)."""
    return re.compile("|".join(map(re.escape, hints)))


_CALL_TO_ACTION_GATE = _gate(_CALL_TO_ACTION_HINTS)
_NEWSLETTER_GATE = _gate(_NEWSLETTER_HINTS)
_POLICY_GATE = _gate(_POLICY_HINTS)
_POLICY_NAME_GATE = _gate(_POLICY_NAME_HINTS)
_COPYRIGHT_GATE = _gate(_COPYRIGHT_HINTS)


def _hinted(low: str, gate: re.Pattern) -> bool:
    """Whether one of the literals of ``gate`` occurs in ``low`` (a lower-cased record)."""
    return gate.search(low) is not None


# A breadcrumb: "you are here" or the home page's name, then a path separator, then the
# trail (首页 > 新闻中心 > 正文, Home » News, 当前位置：首页 > ...). A sentence that starts with
# the word Home has no separator after it.
_HOME = (r"首页|首頁|主页|主頁|网站首页|網站首頁|home(?: ?page)?|startseite|accueil|inicio|início"
         r"|главная|ホーム|トップ|홈|trang chủ|beranda|الرئيسية|المنزل")
_CRUMB_SEP = r"(?:[>»›/→|]|::|＞|-{1,2}(?=\s))"
_BREADCRUMB_RE = re.compile(
    r"\W*(?:(?:当前位置|當前位置|您的位置|你的位置|您现在的位置|您現在的位置|所在位置|现在位置"
    r"|you are here|vous êtes ici|sie sind hier)\s*[:：]"
    r"|(?:" + _HOME + r")\s*" + _CRUMB_SEP + r").{0,200}", re.IGNORECASE | re.DOTALL)
# A pager: page numbers and the words around them, nothing else (上一页 1 2 3 下一页,
# « Previous 1 2 3 Next », Page 2 of 7, 第2页/共10页, Вы находитесь на странице: 1 из 7)
_PAGER_WORDS = (r"上一页|下一页|上一頁|下一頁|上页|下页|首页|首頁|尾页|尾頁|末页|末頁|第|页|頁|共|跳转|跳轉"
                r"|前往|previous|prev|next|first|last|pages?|of|older|newer|go to|seite|von|zurück"
                r"|weiter|suivant|précédent|siguiente|anterior|página|de|страниц[аеы]|из"
                r"|вы находитесь на|次へ|前へ|ページ|다음|이전|trang|sau|trước")
# what a pager is made of, removed in one left-to-right pass: a record is a pager when nothing
# else is left. (A regular expression matching the whole record as a sequence of such tokens
# backtracked exponentially on a line of phone numbers: 15 s for 80 characters.)
_PAGER_STRIP_RE = re.compile(r"\d+|" + _PAGER_WORDS + r"|[\W_]+", re.IGNORECASE)
_PAGER_WORD_RE = re.compile(_PAGER_WORDS, re.IGNORECASE)
_NUMBER_RE = re.compile(r"\d+")


def _is_pager(norm: str) -> bool:
    """Whether ``norm`` (a short record) is only page numbers, pager words and punctuation,
    with a number and a pager word, or at least three numbers (1 2 3 4 5 …)."""
    if _PAGER_STRIP_RE.sub("", norm):
        return False
    numbers = len(_NUMBER_RE.findall(norm))
    return numbers >= 3 or (numbers >= 1 and _PAGER_WORD_RE.search(norm) is not None)


def classify_boilerplate(text: str, config: Config) -> tuple[str, str] | None:
    """Return ``(reason, detail)`` if ``text`` (one record, characters) is boilerplate, else None.

    Pure function; the reasons are those of the module docstring.
    """
    stripped = text.strip()
    # the patterns read the NFKC form of short records only: longer ones are not normalised
    # NFKC costs: 1.1 s for the 36,000 records of up to 600 characters of a 100 MB dump
    norm = unicodedata.normalize("NFKC", stripped) \
        if len(stripped) <= max(200, config.chrome_max_chars) else stripped
    return _classify(stripped, norm, config)


def _classify(stripped: str, norm: str, config: Config) -> tuple[str, str] | None:
    """The rules of :func:`classify_boilerplate` on a stripped record and ``norm``, its NFKC
    form when it has at most ``max(200, chrome_max_chars)`` characters, else the record as it
    is (the rules for longer records, up to 600 characters, read it so)."""
    if len(stripped) <= 100:
        if _HEADING_RE.fullmatch(norm):
            return "site_heading", f"section heading {stripped!r}"
        if _NAVIGATION_RE.fullmatch(norm) or _TOOLBAR_RE.fullmatch(norm):
            return "navigation", f"navigation/toolbar text {stripped!r}"
        if _is_pager(norm):
            return "navigation", f"pager {stripped!r}"
        if _MORE_LINKS_RE.fullmatch(norm):
            return "navigation", f"link to more articles {stripped!r}"
    if len(stripped) <= 200 and _TEASER_RE.fullmatch(norm):
        return "navigation", f"teaser of another article {stripped!r}"
    if len(stripped) <= 200 and _BREADCRUMB_RE.fullmatch(norm):
        return "navigation", f"breadcrumb {stripped!r}"
    low = norm.lower()
    if len(stripped) <= config.chrome_max_chars and _hinted(low, _COPYRIGHT_GATE):
        m = _COPYRIGHT_RE.search(norm)
        if m:
            return "copyright_notice", (
                f"{m.group(0)!r} in a record of {len(stripped)} chars <= {config.chrome_max_chars}"
            )
    if len(stripped) <= 2 * config.chrome_max_chars and _COPYRIGHT_LEAD_RE.match(norm):
        return "copyright_notice", (f"a record of {len(stripped)} chars <= "
                                    f"{2 * config.chrome_max_chars} that starts with a copyright "
                                    "notice")
    if len(stripped) <= 40 and _COMPANY_RE.search(norm) and not _SENTENCE_PUNCT_RE.search(norm):
        return "company_footer", f"company name {stripped!r}"
    if len(stripped) <= 160 and (_METADATA_RE.fullmatch(norm) or _DATED_RE.fullmatch(norm)) \
            or len(stripped) <= 600 and _LONG_METADATA_RE.fullmatch(norm):
        return "page_metadata", f"metadata line {stripped[:100]!r}"
    if len(stripped) <= 300:
        m = _CALL_TO_ACTION_RE.search(norm) if _hinted(low, _CALL_TO_ACTION_GATE) else None
        if m is None and len(stripped) <= 160 and _hinted(low, _NEWSLETTER_GATE):
            m = _NEWSLETTER_RE.search(norm)
        if m is not None:
            return "call_to_action", f"{m.group(0)!r} in a record of {len(stripped)} chars <= 300"
    if len(stripped) <= 400:
        m = _POLICY_RE.search(norm) if _hinted(low, _POLICY_GATE) else None
        if m is None and len(stripped) <= 200 and _hinted(low, _POLICY_NAME_GATE) and \
                _READER_RE.search(norm):
            m = _POLICY_NAME_RE.search(norm)
        if m is not None:
            return "policy_notice", f"{m.group(0)!r} in a record of {len(stripped)} chars <= 400"
    # a prefix can only undercount: if 300 characters are long enough, the record is
    counts = count_scripts(stripped[:300])
    if counts.cjk < config.min_cjk_chars and counts.words < config.min_words and \
            len(stripped) > 300:
        counts = count_scripts(stripped)
    if counts.cjk < config.min_cjk_chars and counts.words < config.min_words:
        return "too_short", (
            f"cjk_chars={counts.cjk} < {config.min_cjk_chars} and "
            f"words={counts.words} < {config.min_words}"
        )
    return None


class BoilerplateFilter:
    """Stage ``boilerplate``: drop site chrome and content-free fragments (see module doc)."""

    name = "boilerplate"

    def __init__(self, config: Config):
        self.config = config

    def changes(self, record: Record) -> bool:
        """Whether this stage may change ``record``: a page's document only (it loses its
        chrome lines)."""
        return record.is_document

    def _chrome_segments(self, line: str) -> tuple[str, str] | None:
        """``(reason, detail)`` when ``line`` is made of segments (split at ``|``, ``·``,
        ``•``) each of which is chrome or a fragment, one at least chrome of
        :data:`LINE_REASONS` (January 13, 2020 | categories: Python | View Comments); else
        None."""
        segments = [seg for seg in _SEGMENT_SEP_RE.split(line) if seg.strip()]
        if len(segments) < 2 or len(line) > 300:
            return None
        reason = None
        for seg in segments:
            found = classify_boilerplate(seg, self.config)
            if found is None:
                return None
            if reason is None and found[0] in LINE_REASONS:
                reason = found[0]
        if reason is None:
            return None
        return reason, f"a line of {len(segments)} segments, each chrome or a fragment"

    def apply(self, record: Record) -> Record | Drop:
        """Return ``record`` (a document without its chrome lines), or a :class:`Drop` with
        the boilerplate reason."""
        if record.is_document:  # a page's document: line by line first
            lines = record.text.split("\n")
            kinds = [classify_boilerplate(line, self.config) for line in lines]
            if len(lines) > 1 and all(kinds):  # no line of content: chrome and fragments
                counts: dict[str, int] = {}
                for reason, _ in kinds:
                    counts[reason] = counts.get(reason, 0) + 1
                return Drop(self.name, "chrome_only", f"all {len(lines)} lines are site chrome ("
                            + ", ".join(f"{r} {n}" for r, n in sorted(counts.items())) + ")")
            drops = {i: (self.name, *found) for i, found in enumerate(kinds)
                     if found is not None and found[0] in LINE_REASONS}
            # a fragment repeated within the page is its chrome (Bild anzeigen, ×Schließen)
            counts = {}
            for line in lines:
                counts[line.strip()] = counts.get(line.strip(), 0) + 1
            seen: set[str] = set()
            for i, (line, found) in enumerate(zip(lines, kinds)):
                key = line.strip()
                n = counts[key]
                if i in drops:
                    pass
                elif n >= 2 and found is not None and found[0] == "too_short":
                    drops[i] = (self.name, "repeated_line",
                                f"a fragment that occurs {n} times in the document")
                elif key in seen:  # the extractor gave a paragraph twice: the first stays
                    drops[i] = (self.name, "repeated_line",
                                "a copy of an earlier line of the document")
                elif _SEGMENT_SEP_RE.search(line):
                    found = self._chrome_segments(line)
                    if found is not None:
                        drops[i] = (self.name, *found)
                seen.add(key)
            if drops:
                record.remove_lines(drops)
        found = classify_boilerplate(record.text, self.config)
        if found is None:
            return record
        return Drop(self.name, found[0], found[1])
