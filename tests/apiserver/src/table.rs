//! `as=Table` columns and cells per kind, as kube-apiserver's printers
//! (`pkg/printers/internalversion/printers.go`) and CRD printer columns give them.
//!
//! The server always prints the wide (priority 1) columns too; kubectl shows them for `-o wide`.
//! Cells are computed from the stored object; a spec field the API server would have defaulted
//! on write (`replicas: 1`, `type: ClusterIP`, …) reads as that default, a status field as 0.

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::server::human_duration;
use crate::store::Entry;

const NAME: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const CONTAINERS: &str = "Names of each container in the template.";
const IMAGES: &str = "Images referenced by each container in the template.";

fn col(name: &str, ty: &str, priority: u8, description: &str) -> Value {
    json!({"name": name, "type": ty, "format": "", "description": description, "priority": priority})
}

/// The column definitions of `kind`'s Table.
pub(crate) fn columns(kind: &str) -> Vec<Value> {
    let name = json!({"name": "Name", "type": "string", "format": "name", "description": NAME, "priority": 0});
    let age = || col("Age", "string", 0, AGE);
    let containers = || col("Containers", "string", 1, CONTAINERS);
    let images = || col("Images", "string", 1, IMAGES);
    let mut out = vec![name];
    match kind {
        "Pod" => out.extend([
            col("Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic."),
            col("Status", "string", 0, "The aggregate status of the containers in this pod."),
            col("Restarts", "string", 0, "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            age(),
            col("IP", "string", 1, "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
            col("Node", "string", 1, "NodeName indicates in which node this pod is scheduled."),
            col("Nominated Node", "string", 1, "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods."),
            col("Readiness Gates", "string", 1, "If specified, all readiness gates will be evaluated for pod readiness."),
        ]),
        "Namespace" => out.extend([col("Status", "string", 0, "The status of the namespace"), age()]),
        "Deployment" => out.extend([
            col("Ready", "string", 0, "Number of the pod with ready state"),
            col("Up-to-date", "string", 0, "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            col("Available", "string", 0, "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            age(),
            containers(),
            images(),
            col("Selector", "string", 1, "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."),
        ]),
        "ReplicaSet" | "ReplicationController" => out.extend([
            col("Desired", "integer", 0, "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1."),
            col("Current", "integer", 0, "Replicas is the most recently observed number of replicas."),
            col("Ready", "integer", 0, "The number of ready replicas for this replica set."),
            age(),
            containers(),
            images(),
            col("Selector", "string", 1, "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set."),
        ]),
        "StatefulSet" => out.extend([
            col("Ready", "string", 0, "Number of the pod with ready state"),
            age(),
            containers(),
            images(),
        ]),
        "DaemonSet" => out.extend([
            col("Desired", "integer", 0, "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod)."),
            col("Current", "integer", 0, "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
            col("Ready", "integer", 0, "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."),
            col("Up-to-date", "integer", 0, "The total number of nodes that are running updated daemon pod"),
            col("Available", "integer", 0, "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
            col("Node Selector", "string", 0, "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node."),
            age(),
            containers(),
            images(),
            col("Selector", "string", 1, "A label query over pods that are managed by the daemon set. Must match in order to be controlled."),
        ]),
        "Job" => out.extend([
            col("Status", "string", 0, "Status of the job."),
            col("Completions", "string", 0, "The number of pods which reached phase Succeeded."),
            col("Duration", "string", 0, "Time required to complete the job."),
            age(),
            containers(),
            images(),
            col("Selector", "string", 1, "A label query over pods that should match the pod count. Normally, the system sets this field for you."),
        ]),
        "CronJob" => out.extend([
            col("Schedule", "string", 0, "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
            col("Timezone", "string", 0, "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
            col("Suspend", "boolean", 0, "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions. Defaults to false."),
            col("Active", "integer", 0, "A list of pointers to currently running jobs."),
            col("Last Schedule", "string", 0, "Information when was the last time the job was successfully scheduled."),
            age(),
            containers(),
            images(),
            col("Selector", "string", 1, "A label query over pods that should match the pod count. Normally, the system sets this field for you."),
        ]),
        "Service" => out.extend([
            col("Type", "string", 0, "type determines how the Service is exposed. Defaults to ClusterIP."),
            col("Cluster-IP", "string", 0, "clusterIP is the IP address of the service and is usually assigned randomly."),
            col("External-IP", "string", 0, "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
            col("Port(s)", "string", 0, "The list of ports that are exposed by this service."),
            age(),
            col("Selector", "string", 1, "Route service traffic to pods with label keys and values matching this selector."),
        ]),
        "Ingress" => out.extend([
            col("Class", "string", 0, "The name of the IngressClass resource that should be used for additional configuration"),
            col("Hosts", "string", 0, "Hosts that incoming requests are matched against before the ingress rule"),
            col("Address", "string", 0, "Address is a list containing ingress points for the load-balancer"),
            col("Ports", "string", 0, "Ports of TLS configurations that open"),
            age(),
        ]),
        "EndpointSlice" => out.extend([
            col("AddressType", "string", 0, "addressType specifies the type of address carried by this EndpointSlice."),
            col("Ports", "string", 0, "ports specifies the list of network ports exposed by each endpoint in this slice."),
            col("Endpoints", "string", 0, "endpoints is a list of unique endpoints in this slice."),
            age(),
        ]),
        "RoleBinding" | "ClusterRoleBinding" => {
            // rbac/v1beta1's descriptions of roleRef, as the printers take them.
            let (of, role_ref) = if kind == "RoleBinding" {
                ("roleBinding", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.")
            } else {
                ("clusterRoleBinding", "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.")
            };
            out.extend([
                col("Role", "string", 0, role_ref),
                age(),
                col("Users", "string", 1, &format!("Users in the {of}")),
                col("Groups", "string", 1, &format!("Groups in the {of}")),
                col("ServiceAccounts", "string", 1, &format!("ServiceAccounts in the {of}")),
            ]);
        }
        // printRole/printClusterRole: the creation time itself, not an age.
        "Role" | "ClusterRole" => out.push(col("Created At", "date", 0, AGE)),
        // The Gateway API CRD's additionalPrinterColumns.
        "HTTPRoute" => out.extend([
            col("Hostnames", "string", 0, "Custom resource definition column (in JSONPath format): .spec.hostnames"),
            col("Age", "date", 0, AGE),
        ]),
        _ => out.push(age()),
    }
    out
}

/// The cells of one row of `kind`'s Table (`age` is the object's AGE cell); the caller prints
/// kinds whose columns are Name and Age from the metadata alone.
pub(crate) fn cells(kind: &str, e: &Entry, name: &str, age: String, now: Timestamp) -> Value {
    let o = e.value();
    let int = |ptr: &str| o.pointer(ptr).and_then(Value::as_i64).unwrap_or(0);
    let text = |ptr: &str| o.pointer(ptr).and_then(Value::as_str).unwrap_or("");
    // The API server defaults an absent `spec.replicas` to 1 on write.
    let replicas = || {
        o.pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1)
    };
    let template = |ptr: &str| containers(o.pointer(ptr));
    match kind {
        "Pod" => pod(&o, name, age),
        "Namespace" => {
            let phase = Some(text("/status/phase")).filter(|p| !p.is_empty());
            json!([name, phase.unwrap_or("Active"), age])
        }
        "Deployment" => {
            let (names, images) = template("/spec/template/spec/containers");
            // printDeployment prints the selector itself: "" when it selects everything.
            let selector = label_selector(o.pointer("/spec/selector")).unwrap_or_default();
            json!([
                name,
                format!("{}/{}", int("/status/readyReplicas"), replicas()),
                int("/status/updatedReplicas"),
                int("/status/availableReplicas"),
                age,
                names,
                images,
                selector
            ])
        }
        "ReplicaSet" => {
            let (names, images) = template("/spec/template/spec/containers");
            json!([
                name,
                replicas(),
                int("/status/replicas"),
                int("/status/readyReplicas"),
                age,
                names,
                images,
                none_if_empty(label_selector(o.pointer("/spec/selector")))
            ])
        }
        "ReplicationController" => {
            let (names, images) = template("/spec/template/spec/containers");
            json!([
                name,
                replicas(),
                int("/status/replicas"),
                int("/status/readyReplicas"),
                age,
                names,
                images,
                label_map(o.pointer("/spec/selector"))
            ])
        }
        "StatefulSet" => {
            let (names, images) = template("/spec/template/spec/containers");
            json!([
                name,
                format!("{}/{}", int("/status/readyReplicas"), replicas()),
                age,
                names,
                images
            ])
        }
        "DaemonSet" => {
            let (names, images) = template("/spec/template/spec/containers");
            json!([
                name,
                int("/status/desiredNumberScheduled"),
                int("/status/currentNumberScheduled"),
                int("/status/numberReady"),
                int("/status/updatedNumberScheduled"),
                int("/status/numberAvailable"),
                label_map(o.pointer("/spec/template/spec/nodeSelector")),
                age,
                names,
                images,
                none_if_empty(label_selector(o.pointer("/spec/selector")))
            ])
        }
        "Job" => {
            let (names, images) = template("/spec/template/spec/containers");
            json!([
                name,
                job_status(&o),
                job_completions(&o),
                job_duration(&o, now),
                age,
                names,
                images,
                none_if_empty(label_selector(o.pointer("/spec/selector")))
            ])
        }
        "CronJob" => {
            let (names, images) = template("/spec/jobTemplate/spec/template/spec/containers");
            let last = o
                .pointer("/status/lastScheduleTime")
                .and_then(Value::as_str)
                .map_or("<none>".to_string(), |t| since(now, t));
            let time_zone = Some(text("/spec/timeZone")).filter(|z| !z.is_empty());
            // spec.suspend is defaulted to false on write.
            let suspend = o.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true);
            json!([
                name,
                text("/spec/schedule"),
                time_zone.unwrap_or("<none>"),
                if suspend { "True" } else { "False" },
                o.pointer("/status/active")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len),
                last,
                age,
                names,
                images,
                none_if_empty(label_selector(o.pointer("/spec/jobTemplate/spec/selector")))
            ])
        }
        "Service" => service(&o, name, age),
        "Ingress" => ingress(&o, name, age),
        "EndpointSlice" => endpoint_slice(&o, name, age),
        "RoleBinding" | "ClusterRoleBinding" => role_binding(&o, name, age),
        "Role" | "ClusterRole" => {
            let created = o
                .pointer("/metadata/creationTimestamp")
                .and_then(Value::as_str)
                .unwrap_or("");
            json!([name, created])
        }
        "HTTPRoute" => {
            // A CRD's string column prints a list as JSON; an absent one is a null cell.
            let hostnames = o
                .pointer("/spec/hostnames")
                .filter(|h| !h.is_null())
                .map(|h| json!(h.to_string()));
            json!([name, hostnames, age])
        }
        _ => json!([name, age]),
    }
}

/// printRoleBinding/printClusterRoleBinding (wide): the role as `Kind/name`, then the subjects
/// by kind (`rbac.SubjectsStrings`: a service account as `namespace/name`), each joined by `, `.
fn role_binding(o: &Value, name: &str, age: String) -> Value {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let role_ref = o.get("roleRef").cloned().unwrap_or(json!({}));
    let role = format!("{}/{}", text(&role_ref, "kind"), text(&role_ref, "name"));
    let (mut users, mut groups, mut sas) = (Vec::new(), Vec::new(), Vec::new());
    for s in o
        .get("subjects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match text(s, "kind").as_str() {
            "ServiceAccount" => sas.push(format!("{}/{}", text(s, "namespace"), text(s, "name"))),
            "User" => users.push(text(s, "name")),
            "Group" => groups.push(text(s, "name")),
            _ => {}
        }
    }
    json!([
        name,
        role,
        age,
        users.join(", "),
        groups.join(", "),
        sas.join(", ")
    ])
}

fn pod(o: &Value, name: &str, age: String) -> Value {
    let text = |ptr: &str| {
        o.pointer(ptr)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let n = o
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let phase = text("/status/phase").unwrap_or("Pending");
    let ready = if phase == "Running" { n } else { 0 };
    let phase = if phase == "Succeeded" {
        "Completed"
    } else {
        phase
    };
    // status.podIPs is what the printer reads; status.podIP is its first entry.
    let ip = text("/status/podIPs/0/ip").or_else(|| text("/status/podIP"));
    let gates = o
        .pointer("/spec/readinessGates")
        .and_then(Value::as_array)
        .filter(|g| !g.is_empty())
        .map(|gates| {
            let conditions = o
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let met = gates
                .iter()
                .filter(|g| {
                    conditions
                        .iter()
                        .find(|c| c["type"] == g["conditionType"])
                        .is_some_and(|c| c["status"] == "True")
                })
                .count();
            format!("{met}/{}", gates.len())
        });
    json!([
        name,
        format!("{ready}/{n}"),
        phase,
        "0",
        age,
        ip.unwrap_or("<none>"),
        text("/spec/nodeName").unwrap_or("<none>"),
        text("/status/nominatedNodeName").unwrap_or("<none>"),
        gates.unwrap_or_else(|| "<none>".into())
    ])
}

/// The comma-joined names and images of a pod template's containers (init containers are not
/// in `containers`, so they are left out, as kube-apiserver leaves them out).
fn containers(list: Option<&Value>) -> (String, String) {
    let list = list
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let field = |key: &str| {
        list.iter()
            .map(|c| c[key].as_str().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(",")
    };
    (field("name"), field("image"))
}

/// A `metav1.LabelSelector` as selector text (requirements sorted by key, set values sorted);
/// `None` when it selects everything (or nothing: an absent selector).
pub(crate) fn label_selector(sel: Option<&Value>) -> Option<String> {
    let mut reqs: Vec<(String, String)> = Vec::new();
    if let Some(m) = sel
        .and_then(|s| s.get("matchLabels"))
        .and_then(Value::as_object)
    {
        for (k, v) in m {
            reqs.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or(""))));
        }
    }
    if let Some(exprs) = sel
        .and_then(|s| s.get("matchExpressions"))
        .and_then(Value::as_array)
    {
        for x in exprs {
            let key = x["key"].as_str().unwrap_or("");
            let mut values: Vec<&str> = x["values"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            values.sort_unstable();
            values.dedup();
            let text = match x["operator"].as_str().unwrap_or("") {
                "In" => format!("{key} in ({})", values.join(",")),
                "NotIn" => format!("{key} notin ({})", values.join(",")),
                "Exists" => key.to_string(),
                "DoesNotExist" => format!("!{key}"),
                _ => return Some("<error>".into()),
            };
            reqs.push((key.to_string(), text));
        }
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    let text: Vec<String> = reqs.into_iter().map(|(_, t)| t).collect();
    (!text.is_empty()).then(|| text.join(","))
}

fn none_if_empty(s: Option<String>) -> String {
    s.unwrap_or_else(|| "<none>".into())
}

/// A `map[string]string` selector as `labels.FormatLabels` prints it: sorted, `<none>` when empty.
fn label_map(m: Option<&Value>) -> String {
    let Some(m) = m.and_then(Value::as_object).filter(|m| !m.is_empty()) else {
        return "<none>".into();
    };
    let mut pairs: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    pairs.sort();
    pairs.join(",")
}

fn since(now: Timestamp, t: &str) -> String {
    match t.parse::<Timestamp>() {
        Ok(t) => human_duration(now.as_second() - t.as_second()),
        Err(_) => "<unknown>".into(),
    }
}

fn job_condition(o: &Value, ty: &str) -> bool {
    o.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == ty))
        .is_some_and(|c| c["status"] == "True")
}

fn job_status(o: &Value) -> &'static str {
    if job_condition(o, "Complete") {
        "Complete"
    } else if job_condition(o, "Failed") {
        "Failed"
    } else if o.pointer("/metadata/deletionTimestamp").is_some() {
        "Terminating"
    } else if job_condition(o, "Suspended") {
        "Suspended"
    } else if job_condition(o, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    }
}

fn job_completions(o: &Value) -> String {
    let succeeded = o
        .pointer("/status/succeeded")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    match o.pointer("/spec/completions").and_then(Value::as_i64) {
        Some(c) => format!("{succeeded}/{c}"),
        None => match o.pointer("/spec/parallelism").and_then(Value::as_i64) {
            Some(p) if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    }
}

fn job_duration(o: &Value, now: Timestamp) -> String {
    let time = |ptr: &str| {
        o.pointer(ptr)
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<Timestamp>().ok())
    };
    match (time("/status/startTime"), time("/status/completionTime")) {
        (None, _) => String::new(),
        (Some(start), None) => human_duration(now.as_second() - start.as_second()),
        (Some(start), Some(end)) => human_duration(end.as_second() - start.as_second()),
    }
}

/// The sorted, distinct IPs (else hostnames) of a load balancer status's `ingress` entries.
fn load_balancer(o: &Value) -> String {
    let mut out: Vec<&str> = o
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|i| {
                    let ip = i["ip"].as_str().filter(|s| !s.is_empty());
                    ip.or_else(|| i["hostname"].as_str().filter(|s| !s.is_empty()))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_unstable();
    out.dedup();
    out.join(",")
}

fn service(o: &Value, name: &str, age: String) -> Value {
    let text = |ptr: &str| {
        o.pointer(ptr)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    // spec.type is defaulted to ClusterIP, and spec.clusterIPs from spec.clusterIP, on write.
    let ty = text("/spec/type").unwrap_or("ClusterIP");
    let cluster_ip = text("/spec/clusterIPs/0")
        .or_else(|| text("/spec/clusterIP"))
        .unwrap_or("<none>");
    let external_ips: Vec<&str> = o
        .pointer("/spec/externalIPs")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let external = match ty {
        "ClusterIP" | "NodePort" if external_ips.is_empty() => "<none>".to_string(),
        "ClusterIP" | "NodePort" => external_ips.join(","),
        "LoadBalancer" => {
            let lb = load_balancer(o);
            let mut all: Vec<&str> = lb.split(',').filter(|s| !s.is_empty()).collect();
            all.extend(&external_ips);
            if all.is_empty() {
                "<pending>".to_string()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => text("/spec/externalName").unwrap_or("").to_string(),
        _ => "<unknown>".to_string(),
    };
    let ports: Vec<String> = o
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|p| {
                    let port = p["port"].as_i64().unwrap_or(0);
                    // protocol is defaulted to TCP on write.
                    let proto = p["protocol"].as_str().unwrap_or("TCP");
                    match p["nodePort"].as_i64().filter(|n| *n > 0) {
                        Some(node_port) => format!("{port}:{node_port}/{proto}"),
                        None => format!("{port}/{proto}"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let ports = if ports.is_empty() {
        "<none>".to_string()
    } else {
        ports.join(",")
    };
    json!([
        name,
        ty,
        cluster_ip,
        external,
        ports,
        age,
        label_map(o.pointer("/spec/selector"))
    ])
}

/// At most three entries, then ` + N more...` (`count` entries in all); `<unset>` when empty.
fn list_with_more(list: &[String], count: usize) -> String {
    const MAX: usize = 3;
    let shown = list[..list.len().min(MAX)].join(",");
    if count > MAX {
        format!("{shown} + {} more...", count - MAX)
    } else if shown.is_empty() {
        "<unset>".into()
    } else {
        shown
    }
}

fn ingress(o: &Value, name: &str, age: String) -> Value {
    let rules = o
        .pointer("/spec/rules")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    // formatHosts: up to three rules' hosts, then how many rules follow; `*` when none names one.
    let mut hosts: Vec<&str> = Vec::new();
    let mut more = false;
    for rule in rules {
        more |= hosts.len() == 3;
        if let Some(host) = rule["host"].as_str().filter(|h| !more && !h.is_empty()) {
            hosts.push(host);
        }
    }
    let hosts = if hosts.is_empty() {
        "*".to_string()
    } else if more {
        format!("{} + {} more...", hosts.join(","), rules.len() - 3)
    } else {
        hosts.join(",")
    };
    let class = o
        .pointer("/spec/ingressClassName")
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    let tls = o
        .pointer("/spec/tls")
        .and_then(Value::as_array)
        .is_some_and(|t| !t.is_empty());
    json!([
        name,
        class,
        hosts,
        load_balancer(o),
        if tls { "80, 443" } else { "80" },
        age
    ])
}

fn endpoint_slice(o: &Value, name: &str, age: String) -> Value {
    let list = |key: &str| {
        o.get(key)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    };
    let ports: Vec<String> = list("ports")
        .iter()
        .map(|p| match (p["port"].as_i64(), p["name"].as_str()) {
            (Some(n), _) => n.to_string(),
            (None, Some(n)) => n.to_string(),
            (None, None) => "*".to_string(),
        })
        .collect();
    let addresses: Vec<String> = list("endpoints")
        .iter()
        .flat_map(|e| {
            e["addresses"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    json!([
        name,
        o["addressType"].as_str().unwrap_or(""),
        list_with_more(&ports, ports.len()),
        list_with_more(&addresses, addresses.len()),
        age
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_selectors_print_sorted_requirements() {
        let sel = json!({
            "matchLabels": {"tier": "web", "app": "api"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                {"key": "canary", "operator": "DoesNotExist"}
            ]
        });
        assert_eq!(
            label_selector(Some(&sel)).as_deref(),
            Some("app=api,!canary,env in (dev,prod),tier=web")
        );
        assert_eq!(label_selector(Some(&json!({}))), None);
        assert_eq!(label_selector(None), None);
        assert_eq!(label_map(Some(&json!({"b": "2", "a": "1"}))), "a=1,b=2");
        assert_eq!(label_map(None), "<none>");
    }

    #[test]
    fn more_than_three_entries_are_counted() {
        let l: Vec<String> = (1..=5).map(|i| format!("10.0.0.{i}")).collect();
        assert_eq!(
            list_with_more(&l, l.len()),
            "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more..."
        );
        assert_eq!(list_with_more(&[], 0), "<unset>");
    }
}
