//! The view of a CronJob: what the `cronJob` check reads. The job template (a whole pod spec)
//! is never judged, so it is skipped unbuilt; of the status only the last success is read, and
//! whether the status reports anything at all (offline, its absence means the manifests cannot
//! prove a success; live, the controller always reports one).

use serde::de::Deserializer;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::de::{lenient, nullable};
use super::meta::{Meta, is_default};

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CronJobView {
    /// `batch/v1beta1` and `batch/v2alpha1` are no longer served since Kubernetes 1.25.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub metadata: Meta,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub spec: CronJobSpec,
    #[serde(default, skip_serializing_if = "is_default")]
    pub status: CronJobStatus,
}

view_of!(CronJobView: CronJob);

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CronJobSpec {
    /// As written: an invalid schedule is reported with its text.
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
}

impl CronJobSpec {
    /// `spec.suspend: true`; anything else (absent, null, not a boolean) runs.
    pub fn is_suspended(&self) -> bool {
        self.suspend == Some(true)
    }
}

/// `status`, reduced to what the check asks of it.
///
/// Hand-written (de)serialization because "does the status report anything" is a property of
/// the whole mapping, which derive cannot see: a status of any non-empty mapping (`active`,
/// `lastScheduleTime`, even a key set to null) says the CronJob came from a cluster; an empty
/// mapping, or anything that is not a mapping, says nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CronJobStatus {
    /// The status is a mapping with at least one key.
    pub reported: bool,
    /// `lastSuccessfulTime` when it is a string (parsed by the check, which reports one it
    /// cannot read); any other type reads as unset.
    pub last_successful_time: Option<String>,
}

const LAST_SUCCESSFUL_TIME: &str = "lastSuccessfulTime";

impl<'de> Deserialize<'de> for CronJobStatus {
    /// Through a `Value`: a CronJob's status is a few timestamps and references to its active
    /// Jobs, so building it costs little, unlike the job template beside it.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Value::Object(status) = Value::deserialize(deserializer)? else { return Ok(CronJobStatus::default()) };
        // Read leniently, as the JSON pointer it replaces did: a time of another type is unset.
        let last_successful_time = status.get(LAST_SUCCESSFUL_TIME).and_then(Value::as_str).map(str::to_owned);
        Ok(CronJobStatus { reported: !status.is_empty(), last_successful_time })
    }
}

impl Serialize for CronJobStatus {
    /// The smallest status that reads back the same: `lastSuccessfulTime` when known, and a
    /// status that reported other things without one keeps `lastSuccessfulTime: null`, which is
    /// "unset" to Kubernetes and to the reader above yet still a non-empty status.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(usize::from(self.reported)))?;
        if self.reported {
            map.serialize_entry(LAST_SUCCESSFUL_TIME, &self.last_successful_time)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::inventory::view::meta::round_trip::{assert_round_trips, corpus_views};

    fn cron_job(status: Option<Value>) -> Value {
        let mut value = json!({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "backup", "labels": {"app": "backup"}},
            "spec": {"schedule": "0 3 * * *", "timeZone": "Europe/Paris", "suspend": true,
                     "successfulJobsHistoryLimit": 3,
                     "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "x"}]}}}}}
        });
        if let Some(status) = status {
            value["status"] = status;
        }
        value
    }

    #[test]
    fn reads_the_schedule_and_the_last_success_not_the_job_template() {
        let view: CronJobView = assert_round_trips(&cron_job(Some(
            json!({"lastScheduleTime": "2026-11-25T03:00:00Z", "lastSuccessfulTime": "2026-11-25T03:00:40Z"}),
        )));
        assert_eq!(view.reference(), "cronjob/backup");
        assert_eq!(view.api_version, "batch/v1");
        assert_eq!(
            view.spec,
            CronJobSpec {
                schedule: Some("0 3 * * *".to_owned()),
                time_zone: Some("Europe/Paris".to_owned()),
                suspend: Some(true)
            }
        );
        assert!(view.spec.is_suspended());
        assert_eq!(
            view.status,
            CronJobStatus { reported: true, last_successful_time: Some("2026-11-25T03:00:40Z".to_owned()) }
        );
        let serialized = serde_json::to_string(&view).expect("serializes");
        assert!(!serialized.contains("jobTemplate") && !serialized.contains("lastScheduleTime"), "{serialized}");
    }

    #[test]
    fn tells_a_status_that_reports_something_from_none() {
        let reported = |status: Option<Value>| assert_round_trips::<CronJobView>(&cron_job(status)).status;
        let nothing = CronJobStatus::default();
        let ran = CronJobStatus { reported: true, last_successful_time: None };
        assert_eq!(reported(None), nothing);
        assert_eq!(reported(Some(Value::Null)), nothing);
        assert_eq!(reported(Some(json!({}))), nothing);
        assert_eq!(reported(Some(json!("running"))), nothing);
        assert_eq!(reported(Some(json!([{"lastSuccessfulTime": "2026-11-25T03:00:40Z"}]))), nothing);
        assert_eq!(reported(Some(json!({"lastScheduleTime": "2026-11-25T03:00:00Z"}))), ran);
        assert_eq!(reported(Some(json!({"active": []}))), ran);
        assert_eq!(reported(Some(json!({"lastSuccessfulTime": null}))), ran);
        // A time of another type reads as unset, as the JSON pointer did.
        assert_eq!(reported(Some(json!({"lastSuccessfulTime": 1_764_039_640}))), ran);
    }

    #[test]
    fn scalars_of_the_wrong_type_read_as_unset() {
        let mut odd = cron_job(None);
        odd["spec"] = json!({"schedule": 5, "timeZone": ["UTC"], "suspend": "true"});
        let view: CronJobView = assert_round_trips(&odd);
        assert_eq!(view.spec, CronJobSpec::default());
        assert!(!view.spec.is_suspended());
    }

    #[test]
    fn corpus_cron_jobs_round_trip() {
        for (object, view) in corpus_views::<CronJobView>("CronJob", 5) {
            assert!(view.spec.schedule.is_some(), "{object}");
        }
    }
}
