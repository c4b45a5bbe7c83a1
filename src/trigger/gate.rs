//! `brickci gate`: the model gate. A candidate MLflow run's metrics are compared with a fixed
//! threshold, the best of the last N finished runs before it, or the run behind a Unity
//! Catalog model alias; exit 0 when every metric passes, 1 when one does not. Only reads.

use std::collections::BTreeMap;

use crate::databricks::Client;
use crate::databricks::mlflow::{self, Run};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;
use crate::report::markup;

pub const OUTPUT_PASSED: &str = "gate-passed";
pub const OUTPUT_RUN_ID: &str = "candidate-run-id";
pub const OUTPUT_MODEL_VERSION: &str = "candidate-model-version";
pub const OUTPUT_METRICS: &str = "candidate-metrics";

/// Runs asked for per `runs/search` page.
const SEARCH_PAGE: usize = 50;
const FINISHED: &str = "attributes.status = 'FINISHED'";

#[derive(Debug, Clone, clap::Args)]
pub struct GateArgs {
    /// The MLflow experiment: its workspace path (name) or its id.
    #[arg(long, value_name = "PATH|ID", env = "BRICKCI_GATE_EXPERIMENT")]
    pub experiment: String,
    /// The candidate run (default: the experiment's latest finished run).
    #[arg(long, env = "BRICKCI_GATE_RUN_ID")]
    pub run_id: Option<String>,
    /// A metric to gate on (repeatable): NAME (higher is better) or NAME:min / NAME:max.
    #[arg(
        long = "metric",
        value_name = "NAME[:max|:min]",
        required = true,
        env = "BRICKCI_GATE_METRICS",
        value_delimiter = '\n'
    )]
    pub metrics: Vec<String>,
    /// Compare each metric with this fixed number.
    #[arg(long, conflicts_with = "compare", env = "BRICKCI_GATE_THRESHOLD")]
    pub threshold: Option<f64>,
    /// best-of:N (the best of the last N finished runs before the candidate) or alias:NAME
    /// (the run behind the version of --model that the alias points to).
    #[arg(
        long,
        value_name = "best-of:N|alias:NAME",
        env = "BRICKCI_GATE_COMPARE"
    )]
    pub compare: Option<String>,
    /// The Unity Catalog model (catalog.schema.model) for alias:NAME, and for the
    /// candidate's model version.
    #[arg(long, value_name = "CATALOG.SCHEMA.MODEL", env = "BRICKCI_GATE_MODEL")]
    pub model: Option<String>,
    /// How much better than the baseline the candidate must be (default 0: as good).
    #[arg(long, default_value_t = 0.0, env = "BRICKCI_GATE_MIN_DELTA")]
    pub min_delta: f64,
    /// Fail when there is nothing to compare with (default: pass, with a note).
    #[arg(long, env = "BRICKCI_GATE_REQUIRE_BASELINE")]
    pub require_baseline: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Direction {
    Higher,
    Lower,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    pub name: String,
    pub direction: Direction,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    Threshold(f64),
    BestOf(usize),
    Alias(String),
}

/// `NAME`, `NAME:max` or `NAME:min`; the last `:` splits, so names may hold colons.
pub fn parse_metric(raw: &str) -> Result<MetricSpec, Error> {
    let (name, direction) = match raw.rsplit_once(':') {
        Some((n, "max")) => (n, Direction::Higher),
        Some((n, "min")) => (n, Direction::Lower),
        _ => (raw, Direction::Higher),
    };
    if name.trim().is_empty() {
        return Err(Error::bad_input(format!(
            "--metric {raw:?}: a metric name is needed (NAME, NAME:max or NAME:min)"
        )));
    }
    Ok(MetricSpec {
        name: name.to_string(),
        direction,
    })
}

pub fn parse_comparison(args: &GateArgs) -> Result<Comparison, Error> {
    match (&args.threshold, &args.compare) {
        (Some(t), None) if t.is_finite() => Ok(Comparison::Threshold(*t)),
        (Some(t), None) => Err(Error::bad_input(format!(
            "--threshold {t}: must be a finite number"
        ))),
        (None, Some(c)) => {
            if let Some(n) = c.strip_prefix("best-of:") {
                match n.parse::<usize>() {
                    Ok(n) if n >= 1 => Ok(Comparison::BestOf(n)),
                    _ => Err(Error::bad_input(format!(
                        "--compare {c:?}: N in best-of:N must be a whole number of at least 1"
                    ))),
                }
            } else if let Some(alias) = c.strip_prefix("alias:").filter(|a| !a.is_empty()) {
                if args.model.is_none() {
                    return Err(Error::bad_input(format!(
                        "--compare {c}: needs --model catalog.schema.model"
                    )));
                }
                Ok(Comparison::Alias(alias.to_string()))
            } else {
                Err(Error::bad_input(format!(
                    "--compare {c:?}: expected best-of:N or alias:NAME"
                )))
            }
        }
        _ => Err(Error::bad_input(
            "give one comparison: --threshold X, --compare best-of:N or --compare alias:NAME",
        )),
    }
}

fn check_model(name: &str) -> Result<(), Error> {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || p.contains('/') || p.contains(char::is_whitespace))
    {
        return Err(Error::bad_input(format!(
            "--model {name:?}: expected a Unity Catalog name catalog.schema.model"
        )));
    }
    Ok(())
}

/// Whether `candidate` passes against `baseline` in `direction` by at least `min_delta`.
pub fn passes(direction: Direction, candidate: f64, baseline: f64, min_delta: f64) -> bool {
    match direction {
        Direction::Higher => candidate >= baseline + min_delta,
        Direction::Lower => candidate <= baseline - min_delta,
    }
}

/// The best value per metric among `runs` (runs without the metric are skipped).
pub fn best(metric: &MetricSpec, runs: &[Run]) -> Option<(f64, String)> {
    let mut out: Option<(f64, String)> = None;
    for r in runs {
        let Some(v) = r.metric(&metric.name).filter(|v| !v.is_nan()) else {
            continue;
        };
        let better = match &out {
            None => true,
            Some((b, _)) => passes(metric.direction, v, *b, 0.0) && v != *b,
        };
        if better {
            out = Some((v, r.info.run_id.clone()));
        }
    }
    out
}

struct Row {
    metric: MetricSpec,
    candidate: f64,
    baseline: Option<(f64, String)>,
    passed: bool,
}

fn api(e: crate::databricks::ClientError) -> Error {
    Error::Client(e)
}

pub async fn run(platform: &Platform, client: &Client, args: &GateArgs) -> Result<ExitCode, Error> {
    let metrics = args
        .metrics
        .iter()
        .map(|m| parse_metric(m))
        .collect::<Result<Vec<_>, _>>()?;
    let comparison = parse_comparison(args)?;
    if let Some(m) = &args.model {
        check_model(m)?;
    }
    if !args.min_delta.is_finite() || args.min_delta < 0.0 {
        return Err(Error::bad_input(format!(
            "--min-delta {}: must be a number of at least 0",
            args.min_delta
        )));
    }

    let experiment = find_experiment(client, &args.experiment).await?;
    if let Some(m) = &args.model
        && !mlflow::model_exists(client, m).await.map_err(api)?
    {
        return Err(Error::bad_input(format!(
            "--model {m}: no such Unity Catalog registered model"
        )));
    }
    let candidate = match &args.run_id {
        Some(id) => match mlflow::get_run(client, id).await {
            Err(e) if e.is_not_found() => {
                return Err(Error::bad_input(format!(
                    "--run-id {id}: no such MLflow run"
                )));
            }
            r => {
                let run = r.map_err(api)?;
                match run.info.experiment_id.as_deref() {
                    Some(e) if e != experiment.experiment_id => {
                        return Err(Error::bad_input(format!(
                            "--run-id {id}: the run belongs to experiment {e}, not {} ({})",
                            experiment.experiment_id, args.experiment
                        )));
                    }
                    _ => run,
                }
            }
        },
        None => {
            let page = mlflow::search_runs(
                client,
                &experiment.experiment_id,
                FINISHED,
                &["attributes.start_time DESC"],
                1,
                None,
            )
            .await
            .map_err(api)?;
            page.runs.into_iter().next().ok_or_else(|| {
                Error::bad_input(format!(
                    "--experiment {}: has no finished run to gate",
                    args.experiment
                ))
            })?
        }
    };
    let mut values = Vec::new();
    for m in &metrics {
        let Some(v) = candidate.metric(&m.name) else {
            let have: Vec<&str> = candidate
                .data
                .metrics
                .iter()
                .map(|m| m.key.as_str())
                .collect();
            return Err(Error::bad_input(format!(
                "--metric {}: run {} has no such metric (it has: {})",
                m.name,
                candidate.info.run_id,
                if have.is_empty() {
                    "none".into()
                } else {
                    have.join(", ")
                }
            )));
        };
        values.push(v);
    }

    let (label, baselines) = match &comparison {
        Comparison::Threshold(t) => (
            format!("threshold {t}"),
            metrics.iter().map(|_| Some((*t, String::new()))).collect(),
        ),
        Comparison::BestOf(n) => {
            let earlier = earlier_runs(client, &experiment.experiment_id, &candidate, *n).await?;
            let label = format!("best of the last {} finished runs", earlier.len());
            (label, metrics.iter().map(|m| best(m, &earlier)).collect())
        }
        Comparison::Alias(alias) => {
            let model = args.model.as_deref().unwrap_or_default();
            let label = format!("{model}@{alias}");
            match mlflow::version_by_alias(client, model, alias).await {
                Err(e) if e.is_not_found() => (label, vec![None; metrics.len()]),
                Err(e) => return Err(api(e)),
                Ok(v) => {
                    let baseline = match v.run_id.as_deref().filter(|r| !r.is_empty()) {
                        Some(r) => Some(mlflow::get_run(client, r).await.map_err(api)?),
                        None => None,
                    };
                    let label = format!("{label} (version {})", v.version);
                    let values = metrics
                        .iter()
                        .map(|m| {
                            let b = baseline.as_ref()?;
                            Some((b.metric(&m.name)?, b.info.run_id.clone()))
                        })
                        .collect();
                    (label, values)
                }
            }
        }
    };

    let no_baseline = baselines.iter().all(Option::is_none);
    let rows: Vec<Row> = metrics
        .into_iter()
        .zip(values)
        .zip(baselines)
        .map(|((metric, candidate), baseline)| {
            let passed = match &baseline {
                Some((b, _)) => passes(metric.direction, candidate, *b, args.min_delta),
                None => !args.require_baseline,
            };
            Row {
                metric,
                candidate,
                baseline,
                passed,
            }
        })
        .collect();
    let passed = rows.iter().all(|r| r.passed);

    let version = match &args.model {
        Some(model) => candidate_version(client, model, &candidate.info.run_id).await?,
        None => None,
    };
    report(
        platform,
        &candidate,
        &label,
        &rows,
        passed,
        no_baseline,
        args,
    )?;
    set(
        platform,
        OUTPUT_PASSED,
        if passed { "true" } else { "false" },
    )?;
    set(platform, OUTPUT_RUN_ID, &candidate.info.run_id)?;
    if let Some(v) = version {
        set(platform, OUTPUT_MODEL_VERSION, &v.to_string())?;
    }
    let all: BTreeMap<&str, f64> = candidate
        .data
        .metrics
        .iter()
        .map(|m| (m.key.as_str(), m.value))
        .collect();
    set(
        platform,
        OUTPUT_METRICS,
        &serde_json::to_string(&all).unwrap_or_default(),
    )?;
    Ok(if passed {
        ExitCode::Ok
    } else {
        ExitCode::Failed
    })
}

async fn find_experiment(client: &Client, given: &str) -> Result<mlflow::Experiment, Error> {
    let found = if !given.is_empty() && given.bytes().all(|b| b.is_ascii_digit()) {
        mlflow::experiment_by_id(client, given).await
    } else {
        mlflow::experiment_by_name(client, given).await
    };
    match found {
        Err(e) if e.is_not_found() => Err(Error::bad_input(format!(
            "--experiment {given}: no such MLflow experiment"
        ))),
        r => r.map_err(api),
    }
}

/// The last `n` finished runs that started before the candidate, newest first.
async fn earlier_runs(
    client: &Client,
    experiment_id: &str,
    candidate: &Run,
    n: usize,
) -> Result<Vec<Run>, Error> {
    let filter = match candidate.info.start_time {
        Some(t) => format!("{FINISHED} and attributes.start_time < {t}"),
        None => FINISHED.to_string(),
    };
    let mut runs: Vec<Run> = Vec::new();
    let mut token: Option<String> = None;
    while runs.len() < n {
        let page = mlflow::search_runs(
            client,
            experiment_id,
            &filter,
            &["attributes.start_time DESC"],
            SEARCH_PAGE.min(n - runs.len()).max(1),
            token.as_deref(),
        )
        .await
        .map_err(api)?;
        runs.extend(
            page.runs
                .into_iter()
                .filter(|r| r.info.run_id != candidate.info.run_id),
        );
        token = page.next_page_token.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    runs.truncate(n);
    Ok(runs)
}

async fn candidate_version(
    client: &Client,
    model: &str,
    run_id: &str,
) -> Result<Option<i64>, Error> {
    match mlflow::model_versions(client, model).await {
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(api(e)),
        Ok(versions) => Ok(versions
            .iter()
            .filter(|v| v.run_id.as_deref() == Some(run_id))
            .map(|v| v.version)
            .max()),
    }
}

fn report(
    platform: &Platform,
    candidate: &Run,
    label: &str,
    rows: &[Row],
    passed: bool,
    no_baseline: bool,
    args: &GateArgs,
) -> Result<(), Error> {
    let verdict = if passed { "passed" } else { "failed" };
    let name = candidate.info.run_name.as_deref().unwrap_or_default();
    platform.info(&format!(
        "model gate {verdict}: run {} {name} against {label}",
        candidate.info.run_id
    ));
    let mut md = format!(
        "### Model gate {verdict}\n\nCandidate run `{}` {} against {}.\n\n| Metric | Better | Candidate | Baseline | Result |\n|---|---|---|---|---|\n",
        markup::text(&candidate.info.run_id),
        markup::text(name),
        markup::text(label)
    );
    for r in rows {
        let better = match r.metric.direction {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
        };
        let baseline = r
            .baseline
            .as_ref()
            .map_or_else(|| "none".to_string(), |(v, _)| v.to_string());
        let result = if r.passed { "pass" } else { "fail" };
        platform.info(&format!(
            "  {} ({better} is better): candidate {} baseline {baseline}: {result}",
            r.metric.name, r.candidate
        ));
        md.push_str(&format!(
            "| {} | {better} | {} | {baseline} | {result} |\n",
            markup::text(&r.metric.name),
            r.candidate
        ));
    }
    if no_baseline {
        let note = if args.require_baseline {
            "no baseline to compare with, and --require-baseline is set: the gate fails"
        } else {
            "no baseline to compare with (first model?): the gate passes"
        };
        platform.info(note);
        md.push_str(&format!("\n{note}.\n"));
    }
    if args.min_delta > 0.0 {
        md.push_str(&format!("\nMinimum improvement: {}.\n", args.min_delta));
    }
    platform.summary(&md).map_err(|e| Error::Io(e.to_string()))
}

fn set(platform: &Platform, name: &str, value: &str) -> Result<(), Error> {
    platform
        .set_output(name, value)
        .map_err(|e| Error::Io(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_directions_parse() {
        assert_eq!(
            parse_metric("val_auc").unwrap().direction,
            Direction::Higher
        );
        assert_eq!(
            parse_metric("rmse:min").unwrap().direction,
            Direction::Lower
        );
        let m = parse_metric("a:b:max").unwrap();
        assert_eq!((m.name.as_str(), m.direction), ("a:b", Direction::Higher));
        assert!(parse_metric(":min").is_err());
    }

    #[test]
    fn direction_and_delta_decide() {
        assert!(passes(Direction::Higher, 0.9, 0.8, 0.0));
        assert!(!passes(Direction::Higher, 0.8, 0.9, 0.0));
        assert!(!passes(Direction::Higher, 0.85, 0.8, 0.1));
        assert!(passes(Direction::Lower, 1.0, 2.0, 0.5));
        assert!(!passes(Direction::Lower, 1.8, 2.0, 0.5));
        assert!(passes(Direction::Higher, 0.8, 0.8, 0.0));
    }
}
