//! Integration tests of the `kubectl-owner` binary, in one test binary: each module was a test
//! target of its own; together they link the test API server (`tests/apiserver`) once.
//!
//! Every test runs the real binary (or the real `kubectl`) with a cleared environment against a
//! `test_apiserver::TestServer` on 127.0.0.1, through the harness in `support`.

mod support;

mod admission;
mod aggregators;
mod assign;
mod check;
mod cluster_config;
mod completion;
mod connection;
mod e2e;
mod exit_status;
mod faults;
mod help;
mod krew;
mod kubectl_conformance;
mod least_privilege;
mod list_modes;
mod multi_context;
mod oncall;
mod output_formats;
mod progress;
mod rbac;
mod read_path;
mod readme;
mod reports;
mod security;
mod suggest;
mod torture;
