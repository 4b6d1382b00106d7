//! The board's pages, pure: checklists (and Events) in, markup out. The checklist page renders
//! the checklist with [`crate::report::html::checklist`], the HTML report's own template, so the
//! board and `readygate check --output html` show a checklist the same way.
//!
//! Every page has two forms: the whole document, and the fragment inside `<main>` that the
//! page's script fetches again when the server-sent events say something changed. maud escapes
//! every interpolated value; the page's policy also allows only the one inline script, by hash.

use jiff::Timestamp;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::api::{Decision, Enforcement, HistoryEntry, ReadinessChecklist};
use crate::cli::status::evaluation_from_status;
use crate::engine::{current_decision, signoff_records};
use crate::inventory::Inventory;
use crate::report::Options;
use crate::report::html::{self as report_html, STYLE, decision_label, icon_sprite, timestamp};

/// The board's own rules, after the report's stylesheet.
pub const BOARD_STYLE: &str = include_str!("board.css");

/// The one script: on a server-sent `change` that concerns this page, fetch the page's
/// fragment and swap it into `<main>`. No reload, so scroll position and the open page stay.
pub const SCRIPT: &str = include_str!("live.js");

/// The Content-Security-Policy of every page: nothing from elsewhere; the inline script only
/// by its hash (so markup that slipped past escaping could not run); fetches and the event
/// stream only to the board itself.
pub fn content_security_policy() -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(SCRIPT.as_bytes()));
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{hash}'; \
         connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The filters of the overview (`?namespace=&decision=`); empty means all.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Filter {
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub decision: Option<String>,
}

impl Filter {
    fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref().filter(|n| !n.is_empty())
    }

    fn decision(&self) -> Option<&str> {
        self.decision.as_deref().filter(|d| !d.is_empty())
    }

    fn admits(&self, row: &Row) -> bool {
        self.namespace().is_none_or(|n| n == row.namespace)
            && self.decision().is_none_or(|d| d == row.decision.as_str())
    }
}

/// Whether the stored evaluation may be relied on, as the webhook judges it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    Current,
    /// Older than the gate's `maxStaleness`.
    Stale,
    /// Evaluated for an older `spec` (observedGeneration behind generation).
    Outdated,
    NotEvaluated,
}

impl Freshness {
    pub fn label(self) -> &'static str {
        match self {
            Freshness::Current => "current",
            Freshness::Stale => "stale",
            Freshness::Outdated => "outdated spec",
            Freshness::NotEvaluated => "not evaluated",
        }
    }
}

/// One overview row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub namespace: String,
    pub name: String,
    pub release: Option<String>,
    /// The decision a reader may rely on now (Unknown when stale or outdated).
    pub decision: Decision,
    pub progress: Option<String>,
    pub blocking: u32,
    pub evaluated_at: Option<Timestamp>,
    pub freshness: Freshness,
    /// `None`: the checklist gates nothing.
    pub enforcement: Option<Enforcement>,
}

impl Row {
    pub fn of(checklist: &ReadinessChecklist, now: Timestamp) -> Row {
        let (decision, why) = current_decision(checklist, now);
        let status = checklist.status.as_ref();
        let evaluated_at = status.and_then(|s| s.last_evaluation_time.as_ref()).map(|t| t.0);
        let freshness = match (status, why) {
            (_, None) => Freshness::Current,
            (Some(s), Some(_)) if s.last_evaluation_time.is_some() => {
                if s.observed_generation != checklist.metadata.generation {
                    Freshness::Outdated
                } else {
                    Freshness::Stale
                }
            }
            _ => Freshness::NotEvaluated,
        };
        Row {
            namespace: checklist.metadata.namespace.clone().unwrap_or_default(),
            name: checklist.metadata.name.clone().unwrap_or_default(),
            release: checklist.spec.release.clone(),
            decision,
            progress: status.and_then(|s| s.progress.clone()),
            blocking: status.map_or(0, |s| s.blocking_count),
            evaluated_at,
            freshness,
            enforcement: checklist.spec.gate.as_ref().map(|g| g.enforcement),
        }
    }
}

/// A recent Event about a checklist, as the page lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct EventLine {
    pub time: Option<Timestamp>,
    /// `Normal` or `Warning`.
    pub kind: String,
    pub reason: String,
    pub note: String,
    pub count: u32,
}

/// The recent Events, or why they could not be read (the page still shows everything else).
pub type Events = Result<Vec<EventLine>, String>;

/// The document around `main`, with `data-watch` telling the script which changes concern it.
fn document(title: &str, watch: &str, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) }
                style { (PreEscaped(STYLE)) (PreEscaped(BOARD_STYLE)) }
            }
            body {
                (icon_sprite())
                header {
                    h1 { a href="/" { "Release board" } }
                    p.meta {
                        "Live from the cluster, read-only. "
                        span #live role="status" aria-live="polite" { "Connecting for live updates…" }
                    }
                }
                main data-watch=(watch) { (main) }
                footer { "readygate " (env!("CARGO_PKG_VERSION")) " board. Decisions are the controller's stored evaluations, judged for staleness as the admission webhook judges them." }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}

/// The overview page.
pub fn overview_page<'a>(
    checklists: impl IntoIterator<Item = &'a ReadinessChecklist>,
    filter: &Filter,
    now: Timestamp,
) -> Markup {
    document("Release board", "", overview(checklists, filter, now))
}

/// The overview's `main`: the filter form and one row per checklist that passes it. Borrowed:
/// copying a thousand checklists out of the store per request would cost more than rendering.
pub fn overview<'a>(
    checklists: impl IntoIterator<Item = &'a ReadinessChecklist>,
    filter: &Filter,
    now: Timestamp,
) -> Markup {
    let mut rows: Vec<Row> = checklists.into_iter().map(|c| Row::of(c, now)).collect();
    rows.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let mut namespaces: Vec<&str> = rows.iter().map(|r| r.namespace.as_str()).collect();
    namespaces.dedup();
    let shown: Vec<&Row> = rows.iter().filter(|r| filter.admits(r)).collect();
    let count = |d: Decision| shown.iter().filter(|r| r.decision == d).count();
    html! {
        form #filter method="get" action="/" aria-label="Filter checklists" {
            label { "Namespace "
                select name="namespace" {
                    option value="" selected[filter.namespace().is_none()] { "all" }
                    @for namespace in &namespaces {
                        option value=(namespace) selected[filter.namespace() == Some(*namespace)] { (namespace) }
                    }
                }
            }
            " "
            label { "Decision "
                select name="decision" {
                    option value="" selected[filter.decision().is_none()] { "all" }
                    @for decision in [Decision::Go, Decision::NoGo, Decision::Unknown] {
                        option value=(decision.as_str()) selected[filter.decision() == Some(decision.as_str())] { (decision_label(decision)) }
                    }
                }
            }
            " "
            button type="submit" { "Filter" }
        }
        p #counts.meta {
            (shown.len()) " of " (rows.len()) " checklists: "
            (count(Decision::Go)) " GO, " (count(Decision::NoGo)) " NO-GO, " (count(Decision::Unknown)) " UNKNOWN."
        }
        @if shown.is_empty() {
            p.note #empty { @if rows.is_empty() { "No ReadinessChecklist you may list." } @else { "No checklist matches the filter." } }
        } @else {
            table #checklists.items {
                caption { "Readiness checklists" }
                thead { tr {
                    th scope="col" { "Namespace" } th scope="col" { "Checklist" } th scope="col" { "Release" }
                    th scope="col" { "Decision" } th scope="col" { "Passed" } th scope="col" { "Blocking" }
                    th scope="col" { "Last evaluated" } th scope="col" { "Evaluation" } th scope="col" { "Enforcement" }
                } }
                tbody {
                    @for row in shown {
                        tr data-checklist=(format!("{}/{}", row.namespace, row.name)) data-decision=(row.decision.as_str()) {
                            td.namespace { (row.namespace) }
                            th scope="row" { a href=(checklist_path(&row.namespace, &row.name)) { code { (row.name) } } }
                            td.release { (row.release.as_deref().unwrap_or("—")) }
                            (decision_cell(row.decision))
                            td.progress { (row.progress.as_deref().unwrap_or("—")) }
                            td.blocking { (row.blocking) }
                            td.evaluated { @if let Some(at) = row.evaluated_at { (timestamp(at)) } @else { "never" } }
                            td.freshness.(format!("fresh-{}", row.freshness.label().replace(' ', "-"))) { (row.freshness.label()) }
                            td.enforcement { (row.enforcement.map_or("not gated", enforcement_label)) }
                        }
                    }
                }
            }
        }
    }
}

/// `/checklists/<namespace>/<name>`; both are DNS names, so they need no escaping in a path.
pub fn checklist_path(namespace: &str, name: &str) -> String {
    format!("/checklists/{namespace}/{name}")
}

fn enforcement_label(enforcement: Enforcement) -> &'static str {
    match enforcement {
        Enforcement::Enforce => "Enforce",
        Enforcement::Warn => "Warn",
        Enforcement::Audit => "Audit",
    }
}

fn decision_cell(decision: Decision) -> Markup {
    let (class, icon) = match decision {
        Decision::Go => ("go", "passed"),
        Decision::NoGo => ("nogo", "failed"),
        Decision::Unknown => ("unknown", "error"),
    };
    html! {
        td.decision-cell.(class) data-decision=(decision.as_str()) {
            (crate::report::html::icon_use(icon)) " " (decision_label(decision))
        }
    }
}

/// The ReadinessSignoffs a checklist page weighs.
pub enum PageSignoffs<'a> {
    /// Those of the checklist's namespace (any others are never matched).
    Read(&'a Inventory),
    /// The user may not list ReadinessSignoffs there.
    Forbidden,
}

const SIGNOFFS_FORBIDDEN: &str = "Sign-offs could not be read: you may not list ReadinessSignoffs in this namespace, so \
     who signed or waived is not shown here (the item states above are the controller's).";

/// A checklist's page.
pub fn checklist_page(
    checklist: &ReadinessChecklist,
    signoffs: &PageSignoffs<'_>,
    events: &Events,
    now: Timestamp,
) -> Markup {
    let view = evaluation_from_status(checklist, now);
    let title = page_title(&view.evaluation);
    let watch = format!("{}/{}", view.evaluation.namespace, view.evaluation.name);
    document(&title, &watch, checklist_main(checklist, signoffs, events, now))
}

/// A checklist page's `main`: the report's rendering of the checklist, then its decision
/// history and recent Events.
pub fn checklist_main(
    checklist: &ReadinessChecklist,
    signoffs: &PageSignoffs<'_>,
    events: &Events,
    now: Timestamp,
) -> Markup {
    let mut view = evaluation_from_status(checklist, now);
    let mut options = Options::default();
    match signoffs {
        // The item states are the controller's; who signed comes from the sign-offs that
        // count now, matched by the rules `readygate check` applies.
        PageSignoffs::Read(inventory) => {
            let items = &view.evaluation.items;
            let check_passed =
                |item: &str| items.iter().any(|i| i.name == item && i.state == crate::api::ItemState::Passed);
            view.evaluation.signoffs = signoff_records(checklist, inventory, now, &check_passed);
        }
        PageSignoffs::Forbidden => options.signoffs_unreadable = Some(SIGNOFFS_FORBIDDEN),
    }
    let row = Row::of(checklist, now);
    let history: &[HistoryEntry] = checklist.status.as_ref().map_or(&[], |s| s.history.as_slice());
    html! {
        p.meta #facts data-title=(page_title(&view.evaluation)) {
            "Release " strong { (row.release.as_deref().unwrap_or("—")) } ". "
            "Evaluation " strong.freshness { (row.freshness.label()) } ". "
            "Enforcement " strong { (row.enforcement.map_or("not gated", enforcement_label)) } ". "
            @if let Some(at) = row.evaluated_at { "Last evaluated " (timestamp(at)) "." }
        }
        @if let Some(reason) = &view.reason {
            p.note #reason { (reason) }
        }
        (report_html::checklist(&view.evaluation, "c0", &options))
        section #history aria-labelledby="history-title" {
            h2 #history-title { "Decision history" }
            @if history.is_empty() {
                p.note { "No decision recorded yet." }
            } @else {
                table.history {
                    caption { "The last decision changes, newest first" }
                    thead { tr { th scope="col" { "Time" } th scope="col" { "Decision" } th scope="col" { "Spec generation" } } }
                    tbody {
                        @for entry in history {
                            tr {
                                th scope="row" { (timestamp(entry.time.0)) }
                                (decision_cell(entry.decision))
                                td { (entry.generation.map_or_else(|| "—".to_owned(), |g| g.to_string())) }
                            }
                        }
                    }
                }
            }
        }
        section #events aria-labelledby="events-title" {
            h2 #events-title { "Recent Events" }
            @match events {
                Err(why) => p.note { "Events could not be read: " (why) },
                Ok(lines) if lines.is_empty() => p.note { "No Events about this checklist (Events expire after an hour by default)." },
                Ok(lines) => table.events {
                    caption { "Events about this checklist, newest first" }
                    thead { tr { th scope="col" { "Time" } th scope="col" { "Type" } th scope="col" { "Reason" } th scope="col" { "Message" } } }
                    tbody {
                        @for line in lines {
                            tr data-reason=(line.reason) {
                                th scope="row" { @if let Some(at) = line.time { (timestamp(at)) } @else { "—" } }
                                td.(format!("event-{}", line.kind.to_lowercase())) { (line.kind) }
                                td { (line.reason) @if line.count > 1 { " (×" (line.count) ")" } }
                                td.message { (line.note) }
                            }
                        }
                    }
                },
            }
        }
    }
}

fn page_title(evaluation: &crate::engine::Evaluation) -> String {
    format!("{} {}/{}: release board", decision_label(evaluation.decision), evaluation.namespace, evaluation.name)
}

/// A checklist that is not (or no longer) there: a page that says so, as a 404.
pub fn gone_page(namespace: &str, name: &str) -> Markup {
    document(&format!("{namespace}/{name}: not found"), &format!("{namespace}/{name}"), gone(namespace, name))
}

pub fn gone(namespace: &str, name: &str) -> Markup {
    html! {
        section #gone.banner.unknown aria-label="Checklist not found" data-title=(format!("{namespace}/{name}: not found")) {
            p.verdict { span { "Checklist " code { (namespace) "/" (name) } " does not exist" } }
            p { "It was deleted, renamed, or never existed, or you may not read it. "
                a href="/" { "Back to every checklist" } "." }
        }
    }
}

#[cfg(test)]
mod tests;
