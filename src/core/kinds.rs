//! The resource kinds kubectl-owner knows by name, and kubectl-style TYPE parsing.

use crate::config::WorkloadKind;

/// One API resource: what kubectl calls a resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    /// Controllers whose ownership their objects inherit (Deployment, CronJob, …).
    pub workload: bool,
}

impl Kind {
    /// A kind spelled out in full: the built-ins, and the CRDs whose resource names are fixed.
    pub fn builtin(
        group: &str,
        version: &str,
        kind: &str,
        plural: &str,
        short: &[&str],
        workload: bool,
    ) -> Kind {
        Kind {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced: kind != "Namespace" && kind != "Node",
            short_names: short.iter().map(|s| s.to_string()).collect(),
            workload,
        }
    }

    /// An ownerReference's kind that no catalog names (an operator's CRD): group, version and
    /// kind only, for discovery to fill in; `None` for a malformed `apiVersion`.
    pub fn owner(api_version: &str, kind: &str) -> Option<Kind> {
        let (group, version) = match api_version.split_once('/') {
            Some((group, version)) => (group, version),
            None => ("", api_version),
        };
        if version.is_empty() || version.contains('/') || kind.is_empty() {
            return None;
        }
        Some(Kind {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: String::new(),
            namespaced: true,
            short_names: Vec::new(),
            workload: true,
        })
    }

    /// Services: not workloads, read by `who` for their selector and cluster IP.
    pub fn service() -> Kind {
        Kind::builtin("", "v1", "Service", "services", &["svc"], false)
    }

    /// EndpointSlices: where `who IP` looks last (a pod's second address, dual-stack).
    pub fn endpoint_slice() -> Kind {
        Kind::builtin(
            "discovery.k8s.io",
            "v1",
            "EndpointSlice",
            "endpointslices",
            &[],
            false,
        )
    }

    /// Ingresses: `who host/…` reads their rules.
    pub fn ingress() -> Kind {
        Kind::builtin(
            "networking.k8s.io",
            "v1",
            "Ingress",
            "ingresses",
            &["ing"],
            false,
        )
    }

    /// RBAC's namespaced kinds (`RoleBinding`, `Role`): `suggest` reads who may edit a namespace.
    pub fn rbac(kind: &str, plural: &str) -> Kind {
        Kind::builtin("rbac.authorization.k8s.io", "v1", kind, plural, &[], false)
    }

    /// The Gateway API's HTTPRoutes (a CRD: discovery says whether it is installed).
    pub fn http_route() -> Kind {
        Kind::builtin(
            "gateway.networking.k8s.io",
            "v1",
            "HTTPRoute",
            "httproutes",
            &[],
            false,
        )
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// kubectl's `-o name` prefix: `deployment.apps`, `pod`.
    pub fn name_prefix(&self) -> String {
        let lower = self.kind.to_lowercase();
        if self.group.is_empty() {
            lower
        } else {
            format!("{lower}.{}", self.group)
        }
    }

    /// `resource.group` as kube-apiserver spells it in messages: `deployments.apps`, `pods`.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// Kubernetes' own kinds are always served; configured CRDs need discovery.
    pub fn is_builtin(&self) -> bool {
        matches!(self.group.as_str(), "" | "apps" | "batch")
    }

    /// kube-apiserver's NotFound line, as kubectl prints it.
    pub fn not_found(&self, name: &str) -> String {
        format!(
            "Error from server (NotFound): {} \"{name}\" not found",
            self.qualified_plural()
        )
    }

    pub fn is_pod(&self) -> bool {
        self.group.is_empty() && self.kind == "Pod"
    }

    pub fn is_namespace(&self) -> bool {
        self.group.is_empty() && self.kind == "Namespace"
    }

    fn names(&self) -> impl Iterator<Item = String> + '_ {
        let singular = self.kind.to_lowercase();
        let qualified = [self.plural.clone(), singular.clone()]
            .into_iter()
            .filter(|_| !self.group.is_empty())
            .map(|n| format!("{n}.{}", self.group))
            .collect::<Vec<_>>();
        [singular, self.plural.clone()]
            .into_iter()
            .chain(self.short_names.iter().cloned())
            .chain(qualified)
    }
}

/// Kinds this build knows, built-ins first, then the configured workload CRDs.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub kinds: Vec<Kind>,
}

impl Catalog {
    pub fn new(extra_workloads: &[WorkloadKind]) -> Catalog {
        let mut kinds = vec![
            Kind::builtin("apps", "v1", "Deployment", "deployments", &["deploy"], true),
            Kind::builtin("apps", "v1", "StatefulSet", "statefulsets", &["sts"], true),
            Kind::builtin("apps", "v1", "DaemonSet", "daemonsets", &["ds"], true),
            Kind::builtin("apps", "v1", "ReplicaSet", "replicasets", &["rs"], true),
            Kind::builtin("batch", "v1", "CronJob", "cronjobs", &["cj"], true),
            Kind::builtin("batch", "v1", "Job", "jobs", &[], true),
            Kind::builtin(
                "",
                "v1",
                "ReplicationController",
                "replicationcontrollers",
                &["rc"],
                true,
            ),
            Kind::builtin("", "v1", "Pod", "pods", &["po"], false),
            Kind::builtin("", "v1", "Namespace", "namespaces", &["ns"], false),
        ];
        for w in extra_workloads {
            if kinds.iter().any(|k| k.group == w.group && k.kind == w.kind) {
                continue;
            }
            let lower = w.kind.to_lowercase();
            // The plural is a guess until discovery confirms it (`cluster::session::Session::discover`).
            let short = if w.kind == "Rollout" {
                vec!["ro".to_string()]
            } else {
                vec![]
            };
            kinds.push(Kind {
                group: w.group.clone(),
                version: w.version.clone(),
                kind: w.kind.clone(),
                plural: format!("{lower}s"),
                namespaced: true,
                short_names: short,
                workload: true,
            });
        }
        Catalog { kinds }
    }

    pub fn workloads(&self) -> impl Iterator<Item = &Kind> {
        self.kinds.iter().filter(|k| k.workload)
    }

    pub fn pod(&self) -> &Kind {
        self.kinds
            .iter()
            .find(|k| k.is_pod())
            .expect("Pod is built in")
    }

    pub fn namespace(&self) -> &Kind {
        self.kinds
            .iter()
            .find(|k| k.is_namespace())
            .expect("Namespace is built in")
    }

    /// Is `kind` (from an ownerReference's apiVersion and kind) a workload controller?
    pub fn is_workload(&self, api_version: &str, kind: &str) -> bool {
        self.by_owner(api_version, kind).is_some_and(|k| k.workload)
    }

    /// The kind an ownerReference points at, matched on group and kind (any version).
    pub fn by_owner(&self, api_version: &str, kind: &str) -> Option<&Kind> {
        let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        self.kinds
            .iter()
            .find(|k| k.group == group && k.kind == kind)
    }

    /// Resolves a kubectl TYPE (`deploy`, `deployments`, `Deployment`, `deployment.apps`, …).
    pub fn parse_type(&self, name: &str) -> Result<&Kind, String> {
        let wanted = name.to_lowercase();
        self.kinds
            .iter()
            .find(|k| k.names().any(|n| n == wanted))
            .ok_or_else(|| format!("the server doesn't have a resource type \"{name}\""))
    }
}

/// Splits `TYPE/NAME` as kubectl does: `None` for a bare TYPE, and an error unless there is
/// exactly one resource and one name.
fn split_type_name(arg: &str) -> Result<Option<(&str, &str)>, String> {
    match arg.split_once('/') {
        None => Ok(None),
        Some((kind, name)) if !kind.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok(Some((kind, name)))
        }
        Some(_) => Err(format!(
            "arguments in resource/name form must have a single resource and name: \"{arg}\""
        )),
    }
}

/// A resource argument of `ls` or `check`: `TYPE` or `TYPE/NAME`, split once at the command line
/// (the TYPE is resolved against the server's kinds later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceArg {
    pub type_name: String,
    pub name: Option<String>,
}

impl ResourceArg {
    /// Whether it names one object that lives in a namespace (anything but `ns/NAME`).
    pub fn names_namespaced_object(&self) -> bool {
        self.name.is_some() && !matches!(self.type_name.as_str(), "ns" | "namespace" | "namespaces")
    }
}

impl std::str::FromStr for ResourceArg {
    type Err = String;

    fn from_str(arg: &str) -> Result<ResourceArg, String> {
        Ok(match split_type_name(arg)? {
            Some((type_name, name)) => ResourceArg {
                type_name: type_name.to_string(),
                name: Some(name.to_string()),
            },
            None => ResourceArg {
                type_name: arg.to_string(),
                name: None,
            },
        })
    }
}

/// One object named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectArg {
    pub type_name: String,
    pub name: String,
}

impl ObjectArg {
    pub fn new(type_name: &str, name: &str) -> ObjectArg {
        ObjectArg {
            type_name: type_name.to_string(),
            name: name.to_string(),
        }
    }

    /// `who`'s argument: `POD`, `TYPE/NAME` or `TYPE NAME`.
    pub fn parse_who(args: &[String]) -> Result<ObjectArg, String> {
        match args {
            [one] => Ok(match split_type_name(one)? {
                Some((type_name, name)) => ObjectArg::new(type_name, name),
                None => ObjectArg::new("pod", one),
            }),
            [type_name, name] if !type_name.contains('/') => Ok(ObjectArg::new(type_name, name)),
            _ => Err("expected POD, TYPE/NAME or TYPE NAME".to_string()),
        }
    }
}

/// What `who` looks up: one object, or what an alert shows instead of a pod's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhoTarget {
    /// `POD`, `TYPE/NAME` or `TYPE NAME`.
    Object(ObjectArg),
    /// `ip/ADDRESS` or a bare IP address: the pods that have it.
    Ip(std::net::IpAddr),
    /// `node/NAME`: the workloads with pods on that node.
    Node(String),
    /// `svc/NAME`: the workloads behind the Service's selector.
    Service(String),
    /// `image/REFERENCE`, `image/PREFIX*` or `image/sha256:…`: the workloads whose pod
    /// templates run it.
    Image(crate::core::image::ImagePattern),
    /// `host/NAME` (or `host/URL`): the workloads behind the Ingresses and HTTPRoutes for it.
    Host(String),
}

impl WhoTarget {
    pub fn parse(args: &[String]) -> Result<WhoTarget, String> {
        if let [one] = args {
            if let Ok(ip) = one.parse::<std::net::IpAddr>() {
                return Ok(WhoTarget::Ip(ip));
            }
            if let Some(text) = one.strip_prefix("ip/") {
                return text
                    .parse()
                    .map(WhoTarget::Ip)
                    .map_err(|_| format!("invalid IP address: \"{text}\""));
            }
            if let Some(image) = one.strip_prefix("image/") {
                return crate::core::image::ImagePattern::parse(image).map(WhoTarget::Image);
            }
            if let Some(name) = one.strip_prefix("host/") {
                return crate::core::host::parse(name).map(WhoTarget::Host);
            }
            let named = |prefixes: &[&str]| prefixes.iter().find_map(|p| one.strip_prefix(p));
            if let Some(node) = named(&["node/", "nodes/", "no/"]) {
                if node.is_empty() || node.contains('/') {
                    return Err(format!("invalid node name: \"{node}\""));
                }
                return Ok(WhoTarget::Node(node.to_string()));
            }
            if let Some(service) = named(&["svc/", "service/", "services/"]) {
                if service.is_empty() || service.contains('/') {
                    return Err(format!("invalid service name: \"{service}\""));
                }
                return Ok(WhoTarget::Service(service.to_string()));
            }
        }
        // `svc NAME` and `node NAME` are the lookups `svc/NAME` and `node/NAME` are, as kubectl
        // reads `TYPE NAME` and `TYPE/NAME` alike.
        if let [type_name, name] = args {
            match type_name.to_lowercase().as_str() {
                "svc" | "service" | "services" => {
                    return WhoTarget::parse(&[format!("svc/{name}")]);
                }
                "no" | "node" | "nodes" => return WhoTarget::parse(&[format!("node/{name}")]),
                _ => {}
            }
        }
        ObjectArg::parse_who(args).map(WhoTarget::Object)
    }
}

/// The objects `assign` / `unassign` write, as the arguments name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteTargets {
    /// `TYPE/NAME...` or `TYPE NAME...`.
    Named(Vec<ObjectArg>),
    /// `TYPE[,TYPE...]` with `-l` or `--all`.
    Bulk(Vec<String>),
    /// `assign --from`: the objects a `suggest` document picked, and those it left.
    Suggested {
        picked: Vec<crate::core::suggest::Suggested>,
        left: Vec<crate::core::suggest::NotPicked>,
    },
}

impl WriteTargets {
    /// kubectl label's argument shapes and their errors, checked without the server.
    pub fn parse(
        args: &[String],
        with_selector: bool,
        all: bool,
        all_namespaces: bool,
    ) -> Result<WriteTargets, String> {
        if with_selector && all {
            return Err("--all and --selector (-l) cannot be used together".to_string());
        }
        let bulk = with_selector || all;
        let named: Vec<ObjectArg> = if args.iter().all(|a| a.contains('/')) {
            args.iter()
                // Every argument contains '/', so each one splits (or is an error).
                .filter_map(|arg| split_type_name(arg).transpose())
                .map(|split| split.map(|(type_name, name)| ObjectArg::new(type_name, name)))
                .collect::<Result<_, String>>()?
        } else if args.iter().any(|a| a.contains('/')) {
            return Err("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form".to_string());
        } else {
            args[1..]
                .iter()
                .map(|name| ObjectArg::new(&args[0], name))
                .collect()
        };
        if named.is_empty() {
            if !bulk {
                return Err(
                    "resource(s) were provided, but no name, label selector, or --all flag specified"
                        .to_string(),
                );
            }
            return Ok(WriteTargets::Bulk(
                args[0].split(',').map(str::to_string).collect(),
            ));
        }
        if bulk {
            return Err("names cannot be combined with --selector (-l) or --all".to_string());
        }
        if all_namespaces {
            return Err("a resource cannot be retrieved by name across all namespaces".to_string());
        }
        Ok(WriteTargets::Named(named))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::new(&[WorkloadKind {
            group: "argoproj.io".into(),
            version: "v1alpha1".into(),
            kind: "Rollout".into(),
        }])
    }

    #[test]
    fn accepts_kubectl_names_and_short_names() {
        let c = catalog();
        for (input, kind) in [
            ("deploy", "Deployment"),
            ("deployments", "Deployment"),
            ("Deployment", "Deployment"),
            ("deployment.apps", "Deployment"),
            ("rs", "ReplicaSet"),
            ("sts", "StatefulSet"),
            ("ds", "DaemonSet"),
            ("job", "Job"),
            ("jobs", "Job"),
            ("cj", "CronJob"),
            ("po", "Pod"),
            ("pods", "Pod"),
            ("ns", "Namespace"),
            ("namespace", "Namespace"),
            ("rollout", "Rollout"),
            ("rollouts", "Rollout"),
            ("ro", "Rollout"),
        ] {
            assert_eq!(c.parse_type(input).unwrap().kind, kind, "{input}");
        }
    }

    #[test]
    fn type_name_splits_like_kubectl() {
        assert_eq!(split_type_name("deploy"), Ok(None));
        assert_eq!(split_type_name("deploy/api"), Ok(Some(("deploy", "api"))));
        for bad in ["deploy/", "/api", "deploy/a/b"] {
            assert!(
                split_type_name(bad)
                    .unwrap_err()
                    .contains("single resource and name"),
                "{bad}"
            );
        }
    }

    #[test]
    fn unknown_type_is_kubectls_error() {
        assert_eq!(
            catalog().parse_type("deploymnt").unwrap_err(),
            "the server doesn't have a resource type \"deploymnt\""
        );
    }

    #[test]
    fn owner_matching_ignores_version() {
        let c = catalog();
        assert!(c.is_workload("apps/v1", "ReplicaSet"));
        assert!(c.is_workload("argoproj.io/v1alpha1", "Rollout"));
        assert!(!c.is_workload("v1", "Node"));
        assert!(!c.is_workload("example.com/v1", "Thing"));
        assert_eq!(
            c.by_owner("apps/v1beta2", "Deployment").unwrap().plural,
            "deployments"
        );
    }

    #[test]
    fn write_target_shapes_like_kubectl() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let parse = |a: &[&str], selector: bool, all: bool, all_ns: bool| {
            WriteTargets::parse(&args(a), selector, all, all_ns)
        };
        let pair = ObjectArg::new;
        assert_eq!(
            parse(&["deploy/api", "ns/search"], false, false, false).unwrap(),
            WriteTargets::Named(vec![pair("deploy", "api"), pair("ns", "search")])
        );
        assert_eq!(
            parse(&["deploy", "api", "ledger"], false, false, false).unwrap(),
            WriteTargets::Named(vec![pair("deploy", "api"), pair("deploy", "ledger")])
        );
        assert_eq!(
            parse(&["deploy,sts"], true, false, true).unwrap(),
            WriteTargets::Bulk(vec!["deploy".into(), "sts".into()])
        );
        assert_eq!(
            parse(&["deploy"], false, true, false).unwrap(),
            WriteTargets::Bulk(vec!["deploy".into()])
        );
        let err = |a: &[&str], selector, all, all_ns| parse(a, selector, all, all_ns).unwrap_err();
        assert!(
            err(&["deploy"], false, false, false).contains("no name, label selector, or --all")
        );
        assert!(err(&["deploy"], true, true, false).contains("cannot be used together"));
        assert!(err(&["deploy/api"], true, false, false).contains("cannot be combined"));
        assert!(err(&["deploy/api"], false, false, true).contains("across all namespaces"));
        assert!(err(&["deploy", "x/y"], false, false, false).contains("resource/name form"));
        assert!(err(&["deploy/"], false, false, false).contains("single resource and name"));
    }

    #[test]
    fn who_and_resource_arguments() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ObjectArg::parse_who(&args(&["api-x"])).unwrap(),
            ObjectArg::new("pod", "api-x")
        );
        assert_eq!(
            WhoTarget::parse(&args(&["10.244.3.17"])).unwrap(),
            WhoTarget::Ip("10.244.3.17".parse().unwrap())
        );
        assert_eq!(
            WhoTarget::parse(&args(&["ip/fd00::7"])).unwrap(),
            WhoTarget::Ip("fd00::7".parse().unwrap())
        );
        assert_eq!(
            WhoTarget::parse(&args(&["node/worker-3"])).unwrap(),
            WhoTarget::Node("worker-3".into())
        );
        assert_eq!(
            WhoTarget::parse(&args(&["svc/checkout"])).unwrap(),
            WhoTarget::Service("checkout".into())
        );
        assert_eq!(
            WhoTarget::parse(&args(&["svc", "checkout"])).unwrap(),
            WhoTarget::Service("checkout".into())
        );
        assert_eq!(
            WhoTarget::parse(&args(&["Node", "worker-3"])).unwrap(),
            WhoTarget::Node("worker-3".into())
        );
        assert!(WhoTarget::parse(&args(&["ip/10.0.0"])).is_err());
        assert!(WhoTarget::parse(&args(&["node/"])).is_err());
        assert!(WhoTarget::parse(&args(&["node", "a/b"])).is_err());
        assert_eq!(
            WhoTarget::parse(&args(&["api-x"])).unwrap(),
            WhoTarget::Object(ObjectArg::new("pod", "api-x"))
        );
        assert_eq!(
            ObjectArg::parse_who(&args(&["deploy/api"])).unwrap(),
            ObjectArg::new("deploy", "api")
        );
        assert_eq!(
            ObjectArg::parse_who(&args(&["cronjob", "reindex"])).unwrap(),
            ObjectArg::new("cronjob", "reindex")
        );
        assert!(ObjectArg::parse_who(&args(&["deploy/api", "x"])).is_err());
        let arg: ResourceArg = "deploy/api".parse().unwrap();
        assert!(arg.names_namespaced_object());
        let arg: ResourceArg = "ns/payments".parse().unwrap();
        assert!(!arg.names_namespaced_object());
        assert!("a/b/c".parse::<ResourceArg>().is_err());
    }
}
