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
    fn builtin(
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
            // The plural is a guess until discovery confirms it (cluster::Session::discover).
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
pub fn split_type_name(arg: &str) -> Result<Option<(&str, &str)>, String> {
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
}
