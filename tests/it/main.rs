//! The black-box tests: one binary, so the library is linked once. Each module drives the
//! real brickci binary against the emulator and the local stand-ins in `common` and
//! `support`.

mod common;
mod support;

mod auth_azure;
mod auth_federation;
mod auth_m2m;
mod azure_devops_report;
mod bad_input;
mod broken_bundles;
mod bundle_warnings;
mod callback;
mod callback_launcher;
mod cancel_and_inputs;
mod codecommit_report;
mod deploy;
mod destroy;
mod emulator_cli;
mod examples;
mod fault_suite;
mod flaky_tests;
mod gate;
mod github_report;
mod hostile_files;
mod plan_comment;
mod python_resources;
mod python_sdk;
mod real_shaped_bundles;
mod report_golden;
mod report_hostile;
mod report_limits;
mod report_status;
mod results_from_real_tools;
mod run_bundle_job;
mod run_job;
mod run_left_behind;
mod run_notebook;
mod runner_injection;
mod secrets_aws;
mod shared_folders;
mod signals;
mod test_command;
mod trigger_azure_devops;
mod trigger_codepipeline;
mod trigger_github;
