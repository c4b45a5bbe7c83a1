//! Command-line definitions. Every flag also reads a `BRICKCI_*` variable; inside GitHub
//! Actions and Azure DevOps, task inputs (`INPUT_<NAME>`) are turned into flags too.

use clap::{Args, CommandFactory, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "brickci",
    version,
    about = "The Databricks part of a CI/CD pipeline: auth, run, wait, report."
)]
pub struct Cli {
    /// Log detail on stderr: error, warn, info, debug, trace.
    #[arg(long, global = true, env = "BRICKCI_LOG", default_value = "warn")]
    pub log: String,
    /// Give up retrying a failing API call after this many seconds.
    #[arg(
        long,
        global = true,
        env = "BRICKCI_RETRY_TIMEOUT",
        default_value_t = 300
    )]
    pub retry_timeout: u64,
    /// Use this Databricks auth method only; default: the first that has what it needs.
    #[arg(long, global = true, env = "BRICKCI_AUTH_TYPE",
          value_parser = clap::builder::PossibleValuesParser::new(crate::auth::AUTH_METHODS))]
    pub auth_type: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Authentication: which workspace, which method, which identity.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Check the bundle (databricks.yml) for a target; -o json prints it fully resolved.
    Validate(ValidateArgs),
    /// What a deploy would create, update or delete, and why (nothing is written); on a pull
    /// request, also a sticky PR comment.
    Plan(PlanCommandArgs),
    /// Deploy the bundle to a target: files, notebooks, artifacts, resources.
    Deploy(DeployArgs),
    /// Delete everything the target's deployment recorded, then its root folder.
    Destroy(DestroyArgs),
    /// Destroy a target's pull request environments (`deploy --pr`) whose pull request is
    /// closed or that were not deployed for longer than --older-than.
    Gc(GcArgs),
    /// Run a notebook once, or a job, and wait for its outcome.
    Run(RunArgs),
    /// Cancel a run (e.g. in a post step after the CI job was cancelled).
    Cancel(CancelArgs),
    /// Run test notebooks and report their results (JUnit, check run, PR comment, summary).
    Test(TestArgs),
    /// Render a saved report (from --report-json) to JUnit, the summary and the PR.
    Report(ReportArgs),
    /// A local Databricks workspace, for rehearsal and tests.
    Emulator(crate::emulator::EmulatorArgs),
    /// The whole flow, offline, against the embedded emulator.
    Demo(DemoArgs),
    /// Every task input the binary reads, per command (for action.yml and task.json checks).
    Inputs(InputsArgs),
    /// Start a downstream run (CD after training); with --wait, follow it to its end.
    #[command(subcommand)]
    Trigger(TriggerCommand),
    /// The model gate: compare an MLflow run's metrics with a threshold, earlier runs or an alias.
    Gate(crate::trigger::gate::GateArgs),
    /// Inside a Databricks job task: fire the trigger the bundle declares under
    /// `brickci: callbacks:` (deploy adds the task that runs this).
    Callback(CallbackArgs),
}

#[derive(Debug, Args)]
pub struct CallbackArgs {
    #[command(subcommand)]
    pub target: TriggerCommand,
}

#[derive(Debug, Subcommand)]
pub enum TriggerCommand {
    /// Queue an Azure Pipelines run (template parameters; variables opt-in).
    AzureDevops(crate::trigger::azure_devops::AzureDevopsArgs),
    /// Start an AWS CodePipeline execution (idempotent within one CI attempt).
    Codepipeline(crate::trigger::codepipeline::CodepipelineArgs),
    /// A GitHub Actions workflow: workflow_dispatch (--workflow) or repository_dispatch
    /// (--event-type).
    Github(TriggerGithubArgs),
}

#[derive(Debug, Clone, Args)]
pub struct TriggerGithubArgs {
    /// The repository to trigger in, owner/name.
    #[arg(long, env = "BRICKCI_TRIGGER_REPO")]
    pub repo: String,
    /// The workflow file name (deploy.yml) or id: a workflow_dispatch.
    #[arg(
        long,
        env = "BRICKCI_TRIGGER_WORKFLOW",
        required_unless_present = "event_type",
        conflicts_with = "event_type"
    )]
    pub workflow: Option<String>,
    /// The branch or tag the workflow runs on.
    #[arg(long = "ref", env = "BRICKCI_TRIGGER_REF", requires = "workflow")]
    pub git_ref: Option<String>,
    /// A workflow input, name=value (repeatable).
    #[arg(
        long = "input",
        env = "BRICKCI_TRIGGER_INPUTS",
        value_name = "NAME=VALUE",
        value_delimiter = '\n',
        requires = "workflow"
    )]
    pub inputs: Vec<String>,
    /// A repository_dispatch with this event type.
    #[arg(long, env = "BRICKCI_TRIGGER_EVENT_TYPE")]
    pub event_type: Option<String>,
    /// The repository_dispatch client_payload: a JSON object.
    #[arg(long, env = "BRICKCI_TRIGGER_PAYLOAD", requires = "event_type")]
    pub payload: Option<String>,
    /// The token, or a secret reference to it (aws-sm://, azure-kv://, env:, file:);
    /// default: GITHUB_TOKEN.
    #[arg(long, env = "BRICKCI_TRIGGER_TOKEN_REF", hide_env_values = true)]
    pub token_ref: Option<String>,
    /// Authenticate as this GitHub App (with --app-private-key-ref) through its
    /// installation on --repo.
    #[arg(
        long,
        env = "BRICKCI_TRIGGER_APP_ID",
        requires = "app_private_key_ref",
        conflicts_with = "token_ref"
    )]
    pub app_id: Option<String>,
    /// The App's private key (PEM), as a secret reference.
    #[arg(
        long,
        env = "BRICKCI_TRIGGER_APP_PRIVATE_KEY_REF",
        hide_env_values = true,
        requires = "app_id"
    )]
    pub app_private_key_ref: Option<String>,
    /// The REST API (https://HOST/api/v3 on GitHub Enterprise Server).
    #[arg(long, env = "GITHUB_API_URL", default_value = "https://api.github.com")]
    pub api_url: String,
    /// The input (workflow_dispatch) or client_payload key (repository_dispatch) carrying
    /// the correlation id the run is found by; "" sends none.
    #[arg(
        long,
        env = "BRICKCI_TRIGGER_CORRELATION_INPUT",
        default_value = "brickci_correlation_id"
    )]
    pub correlation_input: String,
    #[command(flatten)]
    pub wait: crate::trigger::WaitArgs,
}

#[derive(Debug, Clone, Args)]
pub struct InputsArgs {
    /// Output format.
    #[arg(long, short = 'o', default_value = "text", value_parser = ["text", "json"])]
    pub output: String,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Print host, auth method and identity (never a secret).
    Check,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["key", "notebook", "job_id", "job_name", "attach"])))]
pub struct RunArgs {
    #[command(flatten)]
    pub compute: ComputeArgs,
    #[command(flatten)]
    pub wait: WaitArgs,
    /// A job or pipeline of the bundle (databricks.yml here) by its resource key, as deployed
    /// to --target (`jobs.KEY` or `pipelines.KEY` when a job and a pipeline share it).
    #[arg(value_name = "KEY", env = "BRICKCI_JOB_KEY")]
    pub key: Option<String>,
    /// Bundle target the job was deployed to (default: the target marked `default: true`);
    /// several (`-t a -t b`) run the job in each target's workspace at once.
    #[arg(long, short = 't', env = "BRICKCI_TARGET", requires = "key")]
    pub target: Vec<String>,
    #[command(flatten)]
    pub fanout: crate::fanout::FanoutArgs,
    /// Bundle variable, repeatable (for paths that use `${var.*}`).
    #[arg(long = "var", value_name = "NAME=VALUE", requires = "key")]
    pub vars: Vec<String>,
    /// The bundle's folder, for KEY.
    #[arg(long, env = "BRICKCI_BUNDLE_DIR", default_value = ".")]
    pub bundle_dir: std::path::PathBuf,
    /// KEY as deployed to pull request N's environment (`deploy --pr`); without N: the pull
    /// request this CI run is for (write `--pr=N` or KEY first when both are given).
    #[arg(long, env = "BRICKCI_PR", value_name = "N", num_args = 0..=1, requires = "key",
          default_missing_value = "auto", value_parser = crate::pr_env::parse_choice)]
    pub pr: Option<crate::pr_env::PrChoice>,
    /// Local notebook to upload and run once (.py, .sql, .scala, .r, .ipynb).
    #[arg(long, env = "BRICKCI_NOTEBOOK", value_name = "PATH")]
    pub notebook: Option<std::path::PathBuf>,
    /// Run this existing job (run-now).
    #[arg(long, env = "BRICKCI_JOB_ID")]
    pub job_id: Option<i64>,
    /// Run the job with this exact name (must be unique).
    #[arg(long, env = "BRICKCI_JOB_NAME")]
    pub job_name: Option<String>,
    /// Wait for a run started elsewhere.
    #[arg(long, env = "BRICKCI_ATTACH", value_name = "RUN_ID")]
    pub attach: Option<i64>,
    /// Run only this task of the job (repeatable).
    #[arg(long, env = "BRICKCI_ONLY", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Start the run and exit; outputs carry its id and URL.
    #[arg(long, env = "BRICKCI_NO_WAIT")]
    pub no_wait: bool,
    /// Cancel the job's active runs (and wait for them to stop) before starting it; for a
    /// pipeline, stop its active update.
    #[arg(long, env = "BRICKCI_RESTART", conflicts_with_all = ["notebook", "attach"])]
    pub restart: bool,
    /// Parameter, repeatable: notebook widgets for notebook runs; job parameters (or
    /// notebook params when the job declares none) for job runs.
    #[arg(
        long = "param",
        env = "BRICKCI_PARAMS",
        value_name = "KEY=VALUE",
        value_delimiter = '\n'
    )]
    pub params: Vec<String>,
    /// Run the notebook from Git at this commit or branch instead of uploading it
    /// (the path is taken relative to the repository root).
    #[arg(long, env = "BRICKCI_GIT_REF")]
    pub git_ref: Option<String>,
    /// Repository URL for --git-ref (default: the CI run's repository).
    #[arg(long, env = "BRICKCI_GIT_URL")]
    pub git_url: Option<String>,
    /// Git provider for --git-ref, as the Jobs API names it (gitHub, azureDevOpsServices,
    /// gitLab, awsCodeCommit, ...; default: from the CI platform).
    #[arg(long, env = "BRICKCI_GIT_PROVIDER")]
    pub git_provider: Option<String>,
    /// Run name shown in the workspace (default: brickci: <notebook>).
    #[arg(long, env = "BRICKCI_RUN_NAME")]
    pub run_name: Option<String>,
    /// Workspace folder for the uploaded notebook (default: a fresh folder under
    /// /Users/<you>/.brickci/tmp, removed afterwards).
    #[arg(long, env = "BRICKCI_WORKSPACE_DIR")]
    pub workspace_dir: Option<String>,
    /// Keep the uploaded notebook after the run.
    #[arg(long, env = "BRICKCI_KEEP_UPLOAD")]
    pub keep_upload: bool,
    #[command(flatten)]
    pub pipeline: PipelineUpdateArgs,
}

/// What a pipeline update (`run KEY` where KEY is a pipeline) refreshes.
#[derive(Debug, Clone, Default, Args)]
pub struct PipelineUpdateArgs {
    /// Pipeline only: reset every table and recompute it from scratch.
    #[arg(long, requires = "key")]
    pub full_refresh: bool,
    /// Pipeline only: refresh just this table (repeatable, or a comma list).
    #[arg(long, value_name = "TABLE", value_delimiter = ',', requires = "key")]
    pub refresh: Vec<String>,
    /// Pipeline only: reset and recompute just this table (repeatable, or a comma list).
    #[arg(long, value_name = "TABLE", value_delimiter = ',', requires = "key")]
    pub full_refresh_table: Vec<String>,
    /// Pipeline only: check the pipeline's source and tables without updating any data.
    #[arg(long, requires = "key")]
    pub validate_only: bool,
}

impl PipelineUpdateArgs {
    /// The pipeline-only flags given, by name.
    pub fn given(&self) -> Vec<&'static str> {
        [
            ("--full-refresh", self.full_refresh),
            ("--refresh", !self.refresh.is_empty()),
            ("--full-refresh-table", !self.full_refresh_table.is_empty()),
            ("--validate-only", self.validate_only),
        ]
        .into_iter()
        .filter_map(|(flag, set)| set.then_some(flag))
        .collect()
    }
}

/// `validate`: the bundle, and what only validate prints.
#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub bundle: BundleArgs,
    /// With -o json: add `__locations`, every file, line and column each top-level section,
    /// resource and job task was set at (as the Databricks CLI's hidden flag).
    #[arg(long, hide = true)]
    pub include_locations: bool,
}

/// Which bundle, target and variables; shared by `validate`, `plan` and `deploy`.
#[derive(Debug, Clone, Args)]
pub struct BundleArgs {
    /// Bundle target (default: the one marked `default: true`, else the only one); plan and
    /// deploy take several (`-t a -t b`), each deployed to its own workspace at once.
    #[arg(long, short = 't', env = "BRICKCI_TARGET")]
    pub target: Vec<String>,
    /// Set a bundle variable, repeatable (beats BUNDLE_VAR_<name>, the target and the default).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// The bundle's folder.
    #[arg(long, env = "BRICKCI_BUNDLE_DIR", default_value = ".")]
    pub bundle_dir: std::path::PathBuf,
    /// Output format.
    #[arg(long, short = 'o', env = "BRICKCI_OUTPUT", default_value = "text", value_parser = ["text", "json", "markdown"])]
    pub output: String,
    /// Fail (exit 2) on what would only be a warning: unknown keys, deprecated settings.
    #[arg(long, env = "BRICKCI_STRICT")]
    pub strict: bool,
    /// Pull request N's own environment of the target: root folder <root>/pr-N (its own
    /// state and lock), names prefixed `[pr-N] `, schedules and triggers paused. Without N:
    /// the pull request this CI run is for.
    #[arg(long, env = "BRICKCI_PR", value_name = "N", num_args = 0..=1,
          default_missing_value = "auto", value_parser = crate::pr_env::parse_choice)]
    pub pr: Option<crate::pr_env::PrChoice>,
}

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub bundle: BundleArgs,
    #[command(flatten)]
    pub fanout: crate::fanout::FanoutArgs,
    /// Delete what brickci deployed before and the bundle no longer has.
    #[arg(long, env = "BRICKCI_PRUNE")]
    pub prune: bool,
    /// How many API calls run at once at most; fewer while the workspace answers 429.
    // 32: bench/rate_limit.py deploys at 0.94-0.95 of a 5/s limit and 0.97 of a 50/s limit
    // with 8, 16, 32 or 64 alike (the adaptive window finds the rate; only the 429 count grows,
    // 87 to 92 of 1,001 at 50/s from 16 to 32), while with no limit a deploy is bound by
    // latency (requests / concurrency x round trip), so 32 halves 16's floor. 64 adds
    // connections and 429s for little more on a real workspace's per-endpoint limits.
    #[arg(long, env = "BRICKCI_CONCURRENCY", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// List unchanged objects too.
    #[arg(long, short = 'v', env = "BRICKCI_VERBOSE")]
    pub verbose: bool,
    /// Stop an artifact build after this many seconds.
    #[arg(long, env = "BRICKCI_BUILD_TIMEOUT", default_value_t = 1800)]
    pub build_timeout: u64,
}

/// `brickci plan`: the plan, and where its markdown goes besides stdout.
#[derive(Debug, Clone, Args)]
pub struct PlanCommandArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Post or edit the plan's sticky PR comment, one per bundle and target; several targets
    /// share one, a section each (GitHub: GITHUB_TOKEN with pull-requests: write; Azure
    /// DevOps: SYSTEM_ACCESSTOKEN).
    #[arg(long, env = "BRICKCI_PR_COMMENT", default_value = "auto", value_parser = ["auto", "true", "false"])]
    pub pr_comment: String,
}

#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Apply a plan that deletes objects without asking (required when not interactive).
    #[arg(long, env = "BRICKCI_AUTO_APPROVE")]
    pub auto_approve: bool,
    /// Take the deploy lock even if another deploy holds it (for locks left behind).
    #[arg(long, env = "BRICKCI_FORCE_LOCK")]
    pub force_lock: bool,
    /// Wait this many seconds for another deploy to release the lock.
    #[arg(long, env = "BRICKCI_LOCK_TIMEOUT", default_value_t = 0)]
    pub lock_timeout: u64,
    /// Leave clusters and SQL warehouses running after creating them (by default they are
    /// stopped).
    #[arg(long, env = "BRICKCI_KEEP_CLUSTERS_RUNNING")]
    pub keep_clusters_running: bool,
    /// Refuse to deploy while a job of this deployment has an active run.
    #[arg(long, env = "BRICKCI_FAIL_ON_ACTIVE_RUNS")]
    pub fail_on_active_runs: bool,
    /// Without a bundle: deploy the job JSON files in this folder (matched by name; an
    /// `existing_cluster_id` may hold a cluster name).
    #[arg(long, env = "BRICKCI_JOBS_DIR", value_name = "DIR")]
    pub jobs_dir: Option<std::path::PathBuf>,
    /// With --jobs-dir: cluster JSON files to create or edit (matched by cluster_name) first.
    #[arg(
        long,
        env = "BRICKCI_CLUSTERS_DIR",
        value_name = "DIR",
        requires = "jobs_dir"
    )]
    pub clusters_dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub bundle: BundleArgs,
    /// Destroy without asking (required when not interactive, and for `mode: production`).
    #[arg(long, env = "BRICKCI_AUTO_APPROVE")]
    pub auto_approve: bool,
    /// Take the deploy lock even if another deploy holds it (for locks left behind).
    #[arg(long, env = "BRICKCI_FORCE_LOCK")]
    pub force_lock: bool,
    /// Wait this many seconds for another deploy to release the lock.
    #[arg(long, env = "BRICKCI_LOCK_TIMEOUT", default_value_t = 0)]
    pub lock_timeout: u64,
    /// How many API calls run at once.
    #[arg(long, env = "BRICKCI_CONCURRENCY", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

#[derive(Debug, Clone, Args)]
pub struct GcArgs {
    /// Bundle target whose pull request environments are swept.
    #[arg(long, short = 't', env = "BRICKCI_TARGET")]
    pub target: Option<String>,
    /// Set a bundle variable, repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// The bundle's folder.
    #[arg(long, env = "BRICKCI_BUNDLE_DIR", default_value = ".")]
    pub bundle_dir: std::path::PathBuf,
    /// Destroy a PR environment not deployed for this long, whatever its pull request's
    /// state (a whole number and s, m, h, d or w: 7d, 36h).
    #[arg(long, env = "BRICKCI_OLDER_THAN", value_name = "DURATION")]
    pub older_than: String,
    /// Say what would be destroyed and kept, and destroy nothing.
    #[arg(long, env = "BRICKCI_DRY_RUN")]
    pub dry_run: bool,
    /// Destroy without asking (required when not interactive).
    #[arg(long, env = "BRICKCI_AUTO_APPROVE")]
    pub auto_approve: bool,
    /// Wait this many seconds for a PR environment's deploy lock; one whose lock stays held
    /// is left as it is, the others are destroyed, and gc fails (exit 2).
    #[arg(long, env = "BRICKCI_LOCK_TIMEOUT", default_value_t = 0)]
    pub lock_timeout: u64,
    /// How many API calls run at once.
    #[arg(long, env = "BRICKCI_CONCURRENCY", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

/// Where a run happens; shared by `run --notebook` and `test`.
#[derive(Debug, Clone, Args)]
pub struct ComputeArgs {
    /// Run on this existing cluster (default: serverless).
    #[arg(long, env = "BRICKCI_CLUSTER_ID", conflicts_with = "new_cluster")]
    pub cluster_id: Option<String>,
    /// Run on a new cluster with this spec (JSON, as `new_cluster` in the Jobs API).
    #[arg(long, env = "BRICKCI_NEW_CLUSTER", value_name = "JSON")]
    pub new_cluster: Option<String>,
}

/// How long and how often to wait for a run; shared by `run` and `test`.
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Cancel the run and fail after this many seconds (0: no limit).
    #[arg(long, env = "BRICKCI_TIMEOUT", default_value_t = 0)]
    pub timeout: u64,
    /// Longest pause between polls, in seconds.
    // 9.5 s: a run's end is seen within 10 s, in about 380 polls per waited hour (the
    // benchmark's targets: <= 10 s, <= 400 polls); 20 s halved the polls but doubled the wait.
    #[arg(long, env = "BRICKCI_POLL_MAX", default_value_t = 9.5)]
    pub poll_max: f64,
    /// First pause between polls, in seconds (it doubles up to --poll-max).
    #[arg(long, env = "BRICKCI_POLL_MIN", default_value_t = 1.0, hide = true)]
    pub poll_min: f64,
}

/// Where results go; shared by `test` and `report`.
#[derive(Debug, Clone, Args)]
pub struct PublishArgs {
    /// Write JUnit XML here (for PublishTestResults, CodeBuild reports, GitLab).
    #[arg(long, env = "BRICKCI_JUNIT", value_name = "PATH")]
    pub junit: Option<std::path::PathBuf>,
    /// Save the report as JSON here, for a later `brickci report`.
    #[arg(long, env = "BRICKCI_REPORT_JSON", value_name = "PATH")]
    pub report_json: Option<std::path::PathBuf>,
    /// Report key: one sticky PR comment and one check run per key.
    #[arg(long, env = "BRICKCI_REPORT_KEY", default_value = "tests")]
    pub report_key: String,
    /// Title of the report, the check run and the comment.
    #[arg(long, env = "BRICKCI_REPORT_TITLE", default_value = "brickci test")]
    pub report_title: String,
    /// Target name shown in the report; `test` takes several (`-t a -t b`): the tests run in
    /// each bundle target's workspace.
    #[arg(long, short = 't', env = "BRICKCI_TARGET")]
    pub target: Vec<String>,
    /// Post a GitHub check run (needs GITHUB_TOKEN with checks: write).
    #[arg(long, env = "BRICKCI_GITHUB_CHECK", default_value = "auto", value_parser = ["auto", "true", "false"])]
    pub github_check: String,
    /// Post or edit the sticky PR comment (GitHub: pull-requests: write; Azure DevOps:
    /// SYSTEM_ACCESSTOKEN).
    #[arg(long, env = "BRICKCI_PR_COMMENT", default_value = "auto", value_parser = ["auto", "true", "false"])]
    pub pr_comment: String,
    /// CodeCommit repository of the pull request to comment on (CodeBuild has no PR variables
    /// for CodeCommit: pass them from the pull request event).
    #[arg(long, env = "BRICKCI_CODECOMMIT_REPOSITORY")]
    pub codecommit_repository: Option<String>,
    /// CodeCommit pull request id.
    #[arg(long, env = "BRICKCI_CODECOMMIT_PR_ID")]
    pub codecommit_pr_id: Option<String>,
    /// Destination-branch tip commit of the pull request (beforeCommitId).
    #[arg(long, env = "BRICKCI_CODECOMMIT_BEFORE_COMMIT")]
    pub codecommit_before_commit: Option<String>,
    /// Source-branch tip commit of the pull request (afterCommitId).
    #[arg(long, env = "BRICKCI_CODECOMMIT_AFTER_COMMIT")]
    pub codecommit_after_commit: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub compute: ComputeArgs,
    #[command(flatten)]
    pub wait: WaitArgs,
    /// Test notebooks: files or globs (e.g. 'tests/**/test_*.py').
    #[arg(value_name = "GLOB", env = "BRICKCI_TESTS", value_delimiter = '\n')]
    pub globs: Vec<String>,
    /// Run the tasks of this deployed job as the tests (each task's exit value is its report).
    #[arg(long, env = "BRICKCI_TEST_JOB_ID", conflicts_with_all = ["globs", "workspace_paths"])]
    pub job_id: Option<i64>,
    /// Like --job-id, by the job's exact name.
    #[arg(long, env = "BRICKCI_TEST_JOB_NAME", conflicts_with_all = ["globs", "workspace_paths", "job_id"])]
    pub job_name: Option<String>,
    /// Like --job-id, a job of the bundle by its resource key, as deployed to --target.
    #[arg(long, env = "BRICKCI_TEST_JOB_KEY", value_name = "KEY",
          conflicts_with_all = ["globs", "workspace_paths", "job_id", "job_name"])]
    pub job_key: Option<String>,
    /// With --job-key: the job as deployed to pull request N's environment (`deploy --pr`);
    /// without N: the pull request this CI run is for.
    #[arg(long, env = "BRICKCI_PR", value_name = "N", num_args = 0..=1, requires = "job_key",
          default_missing_value = "auto", value_parser = crate::pr_env::parse_choice)]
    pub pr: Option<crate::pr_env::PrChoice>,
    /// With --job-key or several targets: the bundle's folder (its targets name the workspaces).
    #[arg(long, env = "BRICKCI_BUNDLE_DIR", default_value = ".")]
    pub bundle_dir: std::path::PathBuf,
    /// With --job-key: a bundle variable, repeatable (for paths that use `${var.*}`).
    #[arg(long = "var", value_name = "NAME=VALUE", requires = "job_key")]
    pub vars: Vec<String>,
    /// A test notebook already in the workspace (repeatable).
    #[arg(
        long = "workspace-path",
        env = "BRICKCI_TEST_WORKSPACE_PATHS",
        value_delimiter = '\n'
    )]
    pub workspace_paths: Vec<String>,
    /// How many test notebooks run at once (0: all).
    #[arg(long, env = "BRICKCI_MAX_PARALLEL", default_value_t = 0)]
    pub max_parallel: usize,
    /// Run the test notebooks that failed again, up to this many times (at most 5); a test
    /// that passes on a retry is reported as flaky and does not fail the build.
    /// (Test notebooks only: a deployed job's tests run once.)
    #[arg(long, env = "BRICKCI_TEST_RETRIES", default_value_t = 0,
          value_parser = clap::value_parser!(u8).range(0..=5),
          conflicts_with_all = ["job_id", "job_name", "job_key"])]
    pub retries: u8,
    /// Flaky tests (failed, then passed on a retry) fail the build too.
    #[arg(long, env = "BRICKCI_TEST_NO_FLAKY")]
    pub no_flaky: bool,
    /// Notebook parameter for every test, repeatable.
    #[arg(
        long = "param",
        env = "BRICKCI_PARAMS",
        value_name = "KEY=VALUE",
        value_delimiter = '\n'
    )]
    pub params: Vec<String>,
    #[command(flatten)]
    pub publish: PublishArgs,
    #[command(flatten)]
    pub fanout: crate::fanout::FanoutArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// A report saved by `--report-json`.
    #[arg(value_name = "REPORT_JSON", env = "BRICKCI_REPORT_INPUT")]
    pub input: std::path::PathBuf,
    #[command(flatten)]
    pub publish: PublishArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CancelArgs {
    /// The run to cancel (default: the run a previous `brickci run` step started).
    #[arg(long, env = "BRICKCI_RUN_ID", conflicts_with = "saved")]
    pub run_id: Option<i64>,
    /// Cancel every run an earlier brickci step of this job saved (under
    /// $RUNNER_TEMP/brickci/runs or $AGENT_TEMPDIRECTORY/brickci/runs) that is still active.
    #[arg(long, env = "BRICKCI_CANCEL_SAVED")]
    pub saved: bool,
    /// Wait until the run has stopped (at most this many seconds).
    #[arg(long, env = "BRICKCI_CANCEL_WAIT", default_value_t = 60)]
    pub wait: u64,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Emulated seconds per real second (higher is faster).
    #[arg(long, env = "BRICKCI_DEMO_CLOCK_SPEED", default_value_t = 20.0)]
    pub clock_speed: f64,
}

/// The task inputs as command-line words, when the binary was started with no arguments by
/// an action or a pipeline task (see `platform::inputs` for the rules).
pub fn args_from_inputs(
    env: &crate::platform::Env,
) -> Result<Option<Vec<String>>, crate::platform::inputs::InputError> {
    crate::platform::inputs::args_from_inputs(&Cli::command(), env)
}

/// Every input, per command.
pub fn inputs_catalog() -> crate::platform::inputs::Catalog {
    crate::platform::inputs::catalog(&Cli::command())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    use crate::platform::Env;
    use crate::platform::inputs::InputError;

    fn from(pairs: &[(&str, &str)]) -> Result<Option<Vec<String>>, InputError> {
        args_from_inputs(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn inputs_become_flags() {
        let words = from(&[
            ("INPUT_COMMAND", "run"),
            ("INPUT_NOTEBOOK", "nb.py"),
            ("INPUT_PARAMS", "a=1\nb=-2\n"),
            ("INPUT_KEEP-UPLOAD", "true"),
            ("INPUT_NO-WAIT", "false"),
            ("INPUT_CLUSTERID", "-odd-id"),
            ("INPUT_AUTH-TYPE", "pat"),
            ("INPUT_TARGET", ""),
        ])
        .unwrap()
        .unwrap();
        let cli = Cli::try_parse_from(&words).unwrap();
        let Command::Run(r) = &cli.command else {
            panic!("{words:?}")
        };
        assert_eq!(r.notebook.as_deref(), Some(std::path::Path::new("nb.py")));
        assert_eq!(r.params, ["a=1", "b=-2"]);
        assert!(r.keep_upload && !r.no_wait);
        assert_eq!(r.compute.cluster_id.as_deref(), Some("-odd-id"));
        assert_eq!(cli.auth_type.as_deref(), Some("pat"));
    }

    #[test]
    fn azure_camel_case_and_underscored_names_match() {
        for key in [
            "INPUT_CLUSTERID",
            "INPUT_CLUSTER-ID",
            "INPUT_CLUSTER_ID",
            "INPUT_clusterId",
        ] {
            let words = from(&[
                ("INPUT_COMMAND", "run"),
                ("INPUT_NOTEBOOK", "nb.py"),
                (key, "c-1"),
            ])
            .unwrap()
            .unwrap();
            assert!(
                words.contains(&"--cluster-id=c-1".to_string()),
                "{key}: {words:?}"
            );
        }
    }

    #[test]
    fn positionals_and_aliases_from_inputs() {
        let words = from(&[
            ("INPUT_COMMAND", "test"),
            ("INPUT_TESTS", "tests/test_a.py\n-odd/test_b.py\n"),
            ("INPUT_CHECKRUN", "false"),
        ])
        .unwrap()
        .unwrap();
        let cli = Cli::try_parse_from(&words).unwrap();
        let Command::Test(t) = &cli.command else {
            panic!()
        };
        assert_eq!(t.globs, ["tests/test_a.py", "-odd/test_b.py"]);
        assert_eq!(t.publish.github_check, "false");
        let words = from(&[
            ("INPUT_COMMAND", "run"),
            ("INPUT_KEY", "nightly"),
            ("INPUT_VARS", "a=b"),
        ])
        .unwrap()
        .unwrap();
        let cli = Cli::try_parse_from(&words).unwrap();
        assert!(
            matches!(cli.command, Command::Run(ref r) if r.key.as_deref() == Some("nightly") && r.vars == ["a=b"])
        );
        let words = from(&[("INPUT_COMMAND", "run"), ("INPUT_JOB", "-odd-key")])
            .unwrap()
            .unwrap();
        let cli = Cli::try_parse_from(&words).unwrap();
        assert!(matches!(cli.command, Command::Run(ref r) if r.key.as_deref() == Some("-odd-key")));
        let words = from(&[("INPUT_COMMAND", "auth check")]).unwrap().unwrap();
        assert_eq!(words, ["brickci", "auth", "check"]);
    }

    #[test]
    fn bad_inputs_are_named() {
        let e = from(&[
            ("INPUT_COMMAND", "run"),
            ("INPUT_NOTEBOOK", "x"),
            ("INPUT_NO-WAIT", "yes"),
        ])
        .unwrap_err();
        assert_eq!(
            e,
            InputError::BadBool {
                name: "no-wait".into(),
                value: "yes".into()
            }
        );
        let e = from(&[("INPUT_COMMAND", "nope")]).unwrap_err().to_string();
        assert!(
            e.contains("input `command`") && e.contains("auth check") && e.contains("deploy"),
            "{e}"
        );
        assert!(!e.contains("emulator"), "{e}");
        let e = from(&[("INPUT_COMMAND", "auth")]).unwrap_err();
        assert!(matches!(e, InputError::UnknownCommand { .. }));
        let e = from(&[("INPUT_COMMAND", "run")]).unwrap_err().to_string();
        assert!(
            e.contains("`notebook`") && e.contains("`key`") && e.contains("`job-id`"),
            "{e}"
        );
        let e = from(&[("INPUT_COMMAND", "report")])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "input `report` is required for command `report`");
        assert!(
            from(&[
                ("INPUT_COMMAND", "report"),
                ("BRICKCI_REPORT_INPUT", "r.json")
            ])
            .is_ok()
        );
        assert_eq!(from(&[("INPUT_NOTEBOOK", "x")]).unwrap(), None);
    }

    #[test]
    fn the_catalog_lists_every_command_with_kinds() {
        let cat = inputs_catalog();
        let run = &cat.commands["run"];
        let kind = |n: &str| {
            run.inputs
                .iter()
                .find(|i| i.name == n)
                .map(|i| i.kind)
                .unwrap_or_else(|| panic!("{n}"))
        };
        use crate::platform::inputs::InputKind;
        assert_eq!(kind("cluster-id"), InputKind::String);
        assert_eq!(kind("no-wait"), InputKind::Bool);
        assert_eq!(kind("params"), InputKind::Multiline);
        assert_eq!(kind("key"), InputKind::String);
        assert_eq!(run.required_one_of[0].len(), 5);
        assert!(
            cat.commands["test"]
                .inputs
                .iter()
                .any(|i| i.name == "tests")
        );
        assert!(
            cat.commands["report"]
                .inputs
                .iter()
                .any(|i| i.name == "report" && i.required)
        );
        assert!(cat.commands.contains_key("auth check") && !cat.commands.contains_key("emulator"));
        let common: Vec<&str> = cat.common.iter().map(|i| i.name.as_str()).collect();
        for n in [
            "command",
            "host",
            "client-id",
            "token",
            "github-token",
            "auth-type",
            "log",
            "retry-timeout",
        ] {
            assert!(common.contains(&n), "{n}: {common:?}");
        }
        assert!(
            cat.commands["cancel"]
                .inputs
                .iter()
                .any(|i| i.azure_name == "runId")
        );
    }
}
