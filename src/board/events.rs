//! The recent Events about one checklist (`events.k8s.io/v1`), read when its page renders.

use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, ListParams};

use super::pages::{EventLine, Events};

/// How many Events a page lists.
const SHOWN: usize = 20;

pub async fn recent(client: kube::Client, namespace: &str, name: &str) -> Events {
    let api: Api<Event> = Api::namespaced(client, namespace);
    let params = ListParams::default().fields(&format!("regarding.kind=ReadinessChecklist,regarding.name={name}"));
    let list = api.list(&params).await.map_err(|error| match error {
        kube::Error::Api(status) => format!("{} ({})", status.message, status.code),
        other => other.to_string(),
    })?;
    Ok(lines(list.items, name))
}

/// The Events about checklist `name`, newest first. Filtered here as well, so a server that
/// ignores the field selector still yields only this checklist's.
pub fn lines(events: Vec<Event>, name: &str) -> Vec<EventLine> {
    let mut lines: Vec<EventLine> = events
        .into_iter()
        .filter(|e| {
            e.regarding
                .as_ref()
                .is_some_and(|r| r.kind.as_deref() == Some("ReadinessChecklist") && r.name.as_deref() == Some(name))
        })
        .map(|e| {
            let time = e
                .series
                .as_ref()
                .map(|s| s.last_observed_time.0)
                .or(e.event_time.as_ref().map(|t| t.0))
                .or(e.deprecated_last_timestamp.as_ref().map(|t| t.0))
                .or(e.metadata.creation_timestamp.as_ref().map(|t| t.0));
            EventLine {
                time,
                kind: e.type_.unwrap_or_else(|| "Normal".to_owned()),
                reason: e.reason.unwrap_or_default(),
                note: e.note.unwrap_or_default(),
                count: e.series.as_ref().map_or(1, |s| u32::try_from(s.count).unwrap_or(u32::MAX)),
            }
        })
        .collect();
    lines.sort_by(|a, b| b.time.cmp(&a.time));
    lines.truncate(SHOWN);
    lines
}
