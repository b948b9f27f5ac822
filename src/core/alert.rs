//! Alert payloads (`who --alert`): Alertmanager's webhook JSON, a list of alerts as its API
//! gives them, one alert, or one alert's label set — and the object each alert's labels name.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use serde::Deserialize;
use serde_json::Value;

use crate::core::kinds::{ObjectArg, WhoTarget};

/// One alert: its name and status when the payload has them, and its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub labels: BTreeMap<String, String>,
    /// `firing` or `resolved` (absent from a bare label set).
    pub status: Option<String>,
}

impl Alert {
    /// The `alertname` label, or `alert` when the alert has none.
    pub fn name(&self) -> &str {
        self.labels.get("alertname").map_or("alert", String::as_str)
    }
}

#[derive(Deserialize)]
struct Webhook {
    alerts: Vec<PayloadAlert>,
}

#[derive(Deserialize)]
struct PayloadAlert {
    labels: BTreeMap<String, String>,
    #[serde(default)]
    status: Option<AlertStatus>,
}

/// Webhook alerts carry `status: firing`; the Alertmanager API's carry `status: {state: active}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum AlertStatus {
    Text(String),
    State { state: String },
}

impl From<PayloadAlert> for Alert {
    fn from(a: PayloadAlert) -> Alert {
        Alert {
            labels: a.labels,
            status: a.status.map(|s| match s {
                AlertStatus::Text(t) | AlertStatus::State { state: t } => t,
            }),
        }
    }
}

/// Typed deserialisation that names the field at fault (`alerts[1].labels.pod: …`).
fn typed<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(v).map_err(|e| match e.path().to_string().as_str() {
        "." => e.inner().to_string(),
        path => format!("{path}: {}", e.inner()),
    })
}

/// Reads a payload. The shapes are told apart by their top level: an object with `alerts` (the
/// webhook), an array (alerts as Alertmanager's API lists them), an object with `labels` (one
/// alert), or an object of strings (one alert's labels).
pub fn parse(text: &str) -> Result<Vec<Alert>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let alerts: Vec<Alert> = match &value {
        Value::Object(o) if o.contains_key("alerts") => typed::<Webhook>(value)?
            .alerts
            .into_iter()
            .map(Alert::from)
            .collect(),
        Value::Array(_) => typed::<Vec<PayloadAlert>>(value)?
            .into_iter()
            .map(Alert::from)
            .collect(),
        Value::Object(o) if o.contains_key("labels") => vec![typed::<PayloadAlert>(value)?.into()],
        Value::Object(o) if !o.is_empty() => vec![Alert {
            labels: typed(value)?,
            status: None,
        }],
        _ => {
            return Err(
                "expected Alertmanager's webhook JSON (an object with \"alerts\"), a list of alerts, one alert (with \"labels\") or one alert's labels"
                    .to_string(),
            );
        }
    };
    if alerts.is_empty() {
        return Err("the payload has no alerts".to_string());
    }
    Ok(alerts)
}

/// What one alert's labels name, and the labels that said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertLookup {
    pub target: WhoTarget,
    /// The `namespace` label, for namespaced targets.
    pub namespace: Option<String>,
    /// `namespace=payments pod=api-7d9f8`: the labels used, as the card's header shows them.
    pub via: String,
}

/// Labels naming a workload, kube-state-metrics' names first, with the TYPE each names.
const WORKLOAD_LABELS: [(&str, &str); 6] = [
    ("deployment", "deployment"),
    ("statefulset", "statefulset"),
    ("daemonset", "daemonset"),
    ("replicaset", "replicaset"),
    ("cronjob", "cronjob"),
    ("job_name", "job"),
];

/// The object the alert is about. The most specific label wins: `pod`, then a workload label,
/// `service`, `node`, and last `instance` when it is an IP address (with or without a port).
pub fn lookup(alert: &Alert) -> Result<AlertLookup, String> {
    let label = |key: &str| alert.labels.get(key).filter(|v| !v.is_empty());
    let namespace = label("namespace");
    let namespaced = |key: &str, target: WhoTarget| match namespace {
        Some(ns) => Ok(AlertLookup {
            target,
            namespace: Some(ns.clone()),
            via: format!("namespace={ns} {key}={}", alert.labels[key]),
        }),
        None => Err(format!(
            "label {key}={} has no namespace label beside it",
            alert.labels[key]
        )),
    };
    if let Some(pod) = label("pod") {
        return namespaced("pod", WhoTarget::Object(ObjectArg::new("pod", pod)));
    }
    for (key, type_name) in WORKLOAD_LABELS {
        if let Some(name) = label(key) {
            return namespaced(key, WhoTarget::Object(ObjectArg::new(type_name, name)));
        }
    }
    if let Some(service) = label("service") {
        return namespaced("service", WhoTarget::Service(service.clone()));
    }
    if let Some(node) = label("node") {
        return Ok(AlertLookup {
            target: WhoTarget::Node(node.clone()),
            namespace: None,
            via: format!("node={node}"),
        });
    }
    if let Some(instance) = label("instance") {
        let ip = instance
            .parse::<IpAddr>()
            .or_else(|_| instance.parse::<SocketAddr>().map(|s| s.ip()));
        return match ip {
            Ok(ip) => Ok(AlertLookup {
                target: WhoTarget::Ip(ip),
                namespace: None,
                via: format!("instance={instance}"),
            }),
            Err(_) => Err(format!(
                "label instance={instance} is not an IP address, and no label names a pod, workload, service or node"
            )),
        };
    }
    Err(format!(
        "no label names a pod, workload, service, node or instance IP (labels: {})",
        alert
            .labels
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Alert {
        Alert {
            labels: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            status: None,
        }
    }

    #[test]
    fn webhook_payload_gives_every_alert_with_its_status() {
        let alerts = parse(
            r#"{"version":"4","status":"firing","receiver":"r","groupLabels":{},"commonLabels":{},
               "commonAnnotations":{},"externalURL":"http://am","groupKey":"{}:{}","truncatedAlerts":0,
               "alerts":[{"status":"firing","labels":{"alertname":"A","pod":"p","namespace":"n"},
                          "annotations":{},"startsAt":"2026-11-30T03:00:00Z","endsAt":"0001-01-01T00:00:00Z",
                          "generatorURL":"http://prom","fingerprint":"f"},
                         {"status":"resolved","labels":{"alertname":"B","node":"worker-3"}}]}"#,
        )
        .unwrap();
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0].name(), "A");
        assert_eq!(alerts[0].status.as_deref(), Some("firing"));
        assert_eq!(alerts[1].status.as_deref(), Some("resolved"));
    }

    #[test]
    fn api_list_one_alert_and_a_label_set_are_read() {
        let api = parse(r#"[{"labels":{"alertname":"A","node":"n"},"status":{"state":"active"}}]"#)
            .unwrap();
        assert_eq!(api[0].status.as_deref(), Some("active"));
        let one = parse(r#"{"labels":{"pod":"p","namespace":"n"}}"#).unwrap();
        assert_eq!(one[0].labels["pod"], "p");
        let set = parse(r#"{"pod":"p","namespace":"n"}"#).unwrap();
        assert_eq!(set[0].labels["namespace"], "n");
        assert_eq!(set[0].name(), "alert");
    }

    #[test]
    fn malformed_payloads_say_what_is_wrong() {
        assert!(parse("{").unwrap_err().starts_with("invalid JSON: "));
        assert_eq!(
            parse(r#"{"alerts":[{"labels":{"pod":"p"}},{"labels":{"pod":3}}]}"#).unwrap_err(),
            "alerts[1].labels.pod: invalid type: integer `3`, expected a string"
        );
        assert_eq!(
            parse(r#"{"alerts":[]}"#).unwrap_err(),
            "the payload has no alerts"
        );
        assert!(
            parse("42")
                .unwrap_err()
                .starts_with("expected Alertmanager's")
        );
        assert!(
            parse("{}")
                .unwrap_err()
                .starts_with("expected Alertmanager's")
        );
    }

    #[test]
    fn the_most_specific_label_wins() {
        let l = lookup(&labels(&[
            ("namespace", "payments"),
            ("pod", "api-1"),
            ("deployment", "api"),
            ("node", "worker-3"),
        ]))
        .unwrap();
        assert_eq!(l.target, WhoTarget::Object(ObjectArg::new("pod", "api-1")));
        assert_eq!(l.namespace.as_deref(), Some("payments"));
        assert_eq!(l.via, "namespace=payments pod=api-1");
        let job = lookup(&labels(&[("namespace", "n"), ("job_name", "reindex-1")])).unwrap();
        assert_eq!(
            job.target,
            WhoTarget::Object(ObjectArg::new("job", "reindex-1"))
        );
        let svc = lookup(&labels(&[("namespace", "n"), ("service", "checkout")])).unwrap();
        assert_eq!(svc.target, WhoTarget::Service("checkout".into()));
        let node = lookup(&labels(&[
            ("node", "worker-3"),
            ("instance", "10.0.0.3:9100"),
        ]))
        .unwrap();
        assert_eq!(node.target, WhoTarget::Node("worker-3".into()));
    }

    #[test]
    fn instance_is_an_ip_with_or_without_a_port() {
        for (instance, ip) in [
            ("10.244.3.17:8080", "10.244.3.17"),
            ("10.244.3.17", "10.244.3.17"),
            ("[fd00::5]:9100", "fd00::5"),
            ("fd00::5", "fd00::5"),
        ] {
            let l = lookup(&labels(&[("instance", instance)])).unwrap();
            assert_eq!(l.target, WhoTarget::Ip(ip.parse().unwrap()), "{instance}");
        }
        assert_eq!(
            lookup(&labels(&[("instance", "db.example:5432")])).unwrap_err(),
            "label instance=db.example:5432 is not an IP address, and no label names a pod, workload, service or node"
        );
    }

    #[test]
    fn labels_that_name_nothing_are_reported() {
        assert_eq!(
            lookup(&labels(&[("pod", "api-1")])).unwrap_err(),
            "label pod=api-1 has no namespace label beside it"
        );
        assert_eq!(
            lookup(&labels(&[("alertname", "Watchdog"), ("severity", "none")])).unwrap_err(),
            "no label names a pod, workload, service, node or instance IP (labels: alertname, severity)"
        );
    }
}
