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
/// `service`, `node`, and last `instance` (an IP address, or else a node's name, with or
/// without a port).
///
/// Prometheus adds the labels of the target it scraped: an alert computed from
/// kube-state-metrics about a node also carries `pod=kube-state-metrics-…`. A `pod` or `service`
/// label whose value contains the `job` label's (the Prometheus Operator names a job after the
/// target's Service) names the exporter, so the other labels are tried first; a metric's own
/// label renamed `exported_pod` (or `exported_namespace`, …) beside a target's wins over it.
pub fn lookup(alert: &Alert) -> Result<AlertLookup, String> {
    let job = alert.labels.get("job").filter(|j| !j.is_empty());
    // (the key as the payload spells it, its value)
    let label = |key: &str| -> Option<(String, &String)> {
        let exported = format!("exported_{key}");
        [exported.as_str(), key].into_iter().find_map(|k| {
            alert
                .labels
                .get(k)
                .filter(|v| !v.is_empty())
                .map(|v| (k.to_string(), v))
        })
    };
    let scraped = |value: &str| job.is_some_and(|j| value.contains(j.as_str()));
    let namespaced = |(key, value): (String, &String), target: WhoTarget| match label("namespace") {
        Some((ns_key, ns)) => Ok(AlertLookup {
            target,
            namespace: Some(ns.clone()),
            via: format!("{ns_key}={ns} {key}={value}"),
        }),
        None => Err(format!(
            "label {key}={value} has no namespace label beside it"
        )),
    };
    let pod = label("pod").map(|(k, v)| {
        let target = WhoTarget::Object(ObjectArg::new("pod", v));
        ((k, v), target)
    });
    let service = label("service").map(|(k, v)| ((k, v), WhoTarget::Service(v.clone())));
    let (pod_of_target, pod) = match pod {
        Some(p) if scraped(p.0.1) => (Some(p), None),
        p => (None, p),
    };
    let (service_of_target, service) = match service {
        Some(s) if scraped(s.0.1) => (Some(s), None),
        s => (None, s),
    };
    if let Some((key, target)) = pod {
        return namespaced(key, target);
    }
    for (key, type_name) in WORKLOAD_LABELS {
        if let Some((key, name)) = label(key) {
            let target = WhoTarget::Object(ObjectArg::new(type_name, name));
            return namespaced((key, name), target);
        }
    }
    if let Some((key, target)) = service {
        return namespaced(key, target);
    }
    if let Some((key, node)) = label("node") {
        return Ok(AlertLookup {
            target: WhoTarget::Node(node.clone()),
            namespace: None,
            via: format!("{key}={node}"),
        });
    }
    if let Some((key, instance)) = label("instance") {
        let ip = instance
            .parse::<IpAddr>()
            .or_else(|_| instance.parse::<SocketAddr>().map(|s| s.ip()));
        let target = match ip {
            Ok(ip) => WhoTarget::Ip(ip),
            // kube-prometheus relabels node-exporter's instance to the node's name.
            Err(_) => {
                let host = instance
                    .rsplit_once(':')
                    .filter(|(_, port)| port.parse::<u16>().is_ok())
                    .map_or(instance.as_str(), |(host, _)| host);
                WhoTarget::parse(&[format!("node/{host}")]).map_err(|_| {
                    format!("label {key}={instance} is neither an IP address nor a node name")
                })?
            }
        };
        return Ok(AlertLookup {
            target,
            namespace: None,
            via: format!("{key}={instance}"),
        });
    }
    // Only the exporter is named: the alert is about the exporter itself (TargetDown).
    if let Some((key, target)) = pod_of_target.or(service_of_target) {
        return namespaced(key, target);
    }
    Err(format!(
        "no label names a pod, workload, service, node or instance (labels: {})",
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

    /// kube-prometheus-stack's KubeNodeNotReady, scraped from kube-state-metrics: its `pod`,
    /// `service` and `namespace` labels are the exporter's.
    #[test]
    fn the_scraped_exporter_yields_to_the_labels_about_the_subject() {
        let node_alert = labels(&[
            ("alertname", "KubeNodeNotReady"),
            ("job", "kube-state-metrics"),
            ("namespace", "monitoring"),
            ("pod", "prometheus-kube-state-metrics-6f7d9c-x8x2l"),
            ("service", "prometheus-kube-state-metrics"),
            ("node", "worker-3"),
        ]);
        assert_eq!(
            lookup(&node_alert).unwrap().target,
            WhoTarget::Node("worker-3".into())
        );
        // The exporter is the subject when nothing else is named (TargetDown).
        let target_down = labels(&[
            ("alertname", "TargetDown"),
            ("job", "kube-state-metrics"),
            ("namespace", "monitoring"),
            ("service", "prometheus-kube-state-metrics"),
        ]);
        assert_eq!(
            lookup(&target_down).unwrap().target,
            WhoTarget::Service("prometheus-kube-state-metrics".into())
        );
        // A metric's own labels, renamed beside the target's, win.
        let exported = labels(&[
            ("job", "kube-state-metrics"),
            ("namespace", "monitoring"),
            ("pod", "kube-state-metrics-1"),
            ("exported_namespace", "payments"),
            ("exported_pod", "api-1"),
        ]);
        let l = lookup(&exported).unwrap();
        assert_eq!(l.target, WhoTarget::Object(ObjectArg::new("pod", "api-1")));
        assert_eq!(l.via, "exported_namespace=payments exported_pod=api-1");
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
        // Not an IP: a node's name, as kube-prometheus relabels node-exporter's instance.
        assert_eq!(
            lookup(&labels(&[("instance", "worker-3:9100")]))
                .unwrap()
                .target,
            WhoTarget::Node("worker-3".into())
        );
        assert_eq!(
            lookup(&labels(&[("instance", "http://db:5432/x")])).unwrap_err(),
            "label instance=http://db:5432/x is neither an IP address nor a node name"
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
            "no label names a pod, workload, service, node or instance (labels: alertname, severity)"
        );
    }
}
