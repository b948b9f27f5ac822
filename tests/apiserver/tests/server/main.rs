//! Integration tests of the `test-apiserver` crate, in one test binary: the server over real
//! HTTP (`http`), its list modes and streaming lists (`lists`), the `test-apiserver` binary
//! itself (`binary`) and the multi-cluster aggregators in front of it (`aggregator`).

mod aggregator;
mod binary;
mod http;
mod lists;
mod managed_fields;
mod rbac;
