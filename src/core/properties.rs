//! Property tests over the parsers and the resolution core: arbitrary input never panics, and
//! generated valid input behaves as specified. `PROPTEST_CASES` raises the case count for long
//! runs (README, "Fuzzing").

use std::collections::BTreeMap;

use proptest::prelude::*;

use crate::config::{self, Config};
use crate::core::ownership::{self, MetaObject};
use crate::core::selector;

fn label_name() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9._-]{0,10}[a-z0-9])?"
}

fn requirement() -> impl Strategy<Value = String> {
    prop_oneof![
        (label_name(), label_name()).prop_map(|(k, v)| format!("{k}={v}")),
        (label_name(), label_name()).prop_map(|(k, v)| format!("{k}=={v}")),
        (label_name(), label_name()).prop_map(|(k, v)| format!("{k}!={v}")),
        (label_name(), prop::collection::vec(label_name(), 1..4))
            .prop_map(|(k, v)| format!("{k} in ({})", v.join(","))),
        (label_name(), prop::collection::vec(label_name(), 1..4))
            .prop_map(|(k, v)| format!("{k} notin ({})", v.join(", "))),
        label_name(),
        label_name().prop_map(|k| format!("!{k}")),
    ]
}

proptest! {
    #[test]
    fn selector_parser_never_panics(input in "\\PC{0,64}") {
        let _ = selector::parse_label_selector(&input);
        let _ = selector::validate_field_selector(&input);
    }

    #[test]
    fn valid_selectors_parse_to_one_requirement_each(parts in prop::collection::vec(requirement(), 1..6)) {
        let parsed = selector::parse_label_selector(&parts.join(","));
        prop_assert!(parsed.is_ok(), "{:?}", parsed);
        prop_assert_eq!(parsed.unwrap().len(), parts.len());
    }

    #[test]
    fn config_parser_never_panics(input in "\\PC{0,200}") {
        let _ = config::parse(&input, "prop.yaml");
    }

    #[test]
    fn config_parser_never_panics_on_yaml_shaped_input(
        keys in prop::collection::vec("(keys|team|stage|stages|rules|teams|name|aliases|namespaces|check|severity|x)", 1..6),
        values in prop::collection::vec("(\\[a, b\\]|payments|\"#c\"|1|-|\\{\\}|null|kube-\\*)", 1..6),
        indent in prop::collection::vec(0usize..3, 1..6),
    ) {
        let text: String = keys.iter().zip(values.iter().cycle()).zip(indent.iter().cycle())
            .map(|((k, v), i)| format!("{}{k}: {v}\n", "  ".repeat(*i)))
            .collect();
        let _ = config::parse(&text, "prop.yaml");
    }

    /// The team is the first level (top of the chain first, then down, then the namespace) that
    /// has any team key; its source names that level.
    #[test]
    fn resolution_takes_the_first_level_with_the_field(
        teams in prop::collection::vec(prop::option::of(label_name()), 1..5),
        namespace_team in prop::option::of(label_name()),
        on_annotation in prop::collection::vec(any::<bool>(), 5),
    ) {
        let config = Config::default();
        let objects: Vec<MetaObject> = teams.iter().enumerate().map(|(i, team)| {
            let mut labels = BTreeMap::new();
            let mut annotations = BTreeMap::new();
            if let Some(t) = team {
                if on_annotation[i] { annotations.insert("owner".to_string(), t.clone()); } else { labels.insert("team".to_string(), t.clone()); }
            }
            MetaObject { kind: format!("Level{i}").into(), name: format!("o{i}"), uid: format!("u{i}"), labels, annotations, ..Default::default() }
        }).collect();
        let ns = MetaObject {
            kind: "Namespace".into(), name: "ns".into(),
            labels: namespace_team.iter().map(|t| ("team".to_string(), t.clone())).collect(),
            ..Default::default()
        };
        let chain: Vec<&MetaObject> = objects.iter().collect();
        let got = ownership::resolve(&chain, Some(&ns), Some("ns"), &config);
        let expected = objects.iter().rev().find(|o| !o.labels.is_empty() || !o.annotations.is_empty())
            .map(|o| (o.labels.get("team").or(o.annotations.get("owner")).cloned().unwrap(), o.kind.to_string()))
            .or_else(|| namespace_team.clone().map(|t| (t, "Namespace".to_string())));
        prop_assert_eq!(got.team.value.clone(), expected.as_ref().map(|e| e.0.clone()));
        prop_assert_eq!(got.team.source.as_ref().map(|s| s.kind.clone()), expected.map(|e| e.1));
    }
}
