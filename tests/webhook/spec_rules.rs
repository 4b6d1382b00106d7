//! `/validate/checklists` refuses what the check would refuse at evaluation (issue 10): the same
//! rule, `checks::spec`, decides both.

use std::sync::Arc;

use readygate::webhook::{CHECKLISTS_PATH, LogOnlyEvents, WebhookMetrics};
use serde_json::{Value, json};

use crate::support::{answer, app, post, review, state_of};

fn checklist_request(check: Value) -> Value {
    json!({
        "uid": "c-150", "kind": {"group": "readygate.io", "version": "v1alpha1", "kind": "ReadinessChecklist"},
        "namespace": "shop", "name": "release", "operation": "CREATE", "userInfo": {"username": "alice"},
        "object": {"apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
                   "metadata": {"name": "release", "namespace": "shop"},
                   "spec": {"items": [{"name": "pdb", "check": check}]}}
    })
}

async fn admit(check: Value) -> Value {
    let app = app(state_of(vec![], Arc::new(LogOnlyEvents)), WebhookMetrics::unregistered());
    let (_, body) = post(&app, CHECKLISTS_PATH, review(checklist_request(check))).await;
    answer(&body).1
}

#[tokio::test]
async fn a_pdb_minimum_the_check_cannot_evaluate_is_refused() {
    for (min, reason) in [
        (json!("150%"), r#""150%" is not a percentage from 0% to 100%"#),
        (json!(-1), "-1 is negative: give a pod count or a percentage from 0% to 100%"),
    ] {
        let response = admit(
            json!({"workload": {"target": {"kind": "Deployment"}, "podDisruptionBudget": {"minAvailable": min}}}),
        )
        .await;
        assert_eq!(response["allowed"], false, "{min}: {response}");
        assert_eq!(response["status"]["code"], 422);
        let message = response["status"]["message"].as_str().expect("message");
        assert!(
            message.contains(&format!("items[0] (pdb).check.workload.podDisruptionBudget.minAvailable: {reason}")),
            "{message}"
        );
    }
    let response =
        admit(json!({"workload": {"target": {"kind": "Deployment"}, "podDisruptionBudget": {"minAvailable": "100%"}}}))
            .await;
    assert_eq!(response["allowed"], true, "{response}");
}
