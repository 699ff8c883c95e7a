//! Generated restore tasks: many, realistic, and the same for the same seed.
//!
//! Realistic means what a client meets in a real account: ids in the API's style, a handful of
//! backup plans, every status, failed jobs with an error text, `"NULL"` where the API has no
//! error, optional fields that are sometimes absent, and numbers that are sometimes strings.
//! Every field of the official SDK's model of a restore job turns up, the 11 the published API
//! reference does not list included; their values are plausible guesses, since nothing
//! documents them.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::filter::Task;
use super::rng::SplitMix64;

/// Newest task's creation time: 2024-06-01T00:00:00Z in ms. Fixed so output never depends on
/// the clock.
const NEWEST_CREATE_MS: i64 = 1_717_200_000_000;
/// Average gap between two tasks' creation times (about five hours) for ordinary counts.
const MEAN_GAP_MS: u64 = 5 * 3_600_000;
/// Huge counts are squeezed into this many ms (about six years) so times stay after 2018.
const MAX_SPAN_MS: u64 = 6 * 365 * 86_400_000;

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const DATABASES: &[&str] = &[
    "orders",
    "billing",
    "users",
    "inventory",
    "analytics",
    "crm",
    "payments",
    "catalog",
    "audit",
    "shipping",
];
const PURPOSES: &[&str] = &["restore", "drill", "verify", "clone", "rollback"];
const REGIONS: &[&str] = &[
    "cn-hangzhou",
    "cn-shanghai",
    "cn-beijing",
    "cn-shenzhen",
    "ap-southeast-1",
];
const FAILURES: &[&str] = &[
    "Restore failed: the destination database already contains table `orders`.",
    "Precheck failed: the account has no privilege to create databases on the destination.",
    "Connection to destination instance timed out after 60s.",
    "Backup set is not available: it has expired under the backup plan's retention.",
    "Insufficient disk space on the destination instance.",
];
/// Salt of the second stream that draws the fields the published API reference does not list.
/// A stream of their own leaves every other generated value as it was before they were added,
/// so a seed named in an old bug report still produces the same tasks.
const SDK_ONLY_SALT: u64 = 0x5DB5_0FF1_CE00_0036;

/// Statuses with the weights a real account shows (mostly done, a few of everything else).
const STATUSES: &[(&str, u64)] = &[
    ("check_pass", 45),
    ("stop", 20),
    ("running", 15),
    ("init", 12),
    ("pause", 8),
];

/// `count` tasks, newest first.
pub(crate) fn tasks(count: usize, seed: u64) -> Vec<Task> {
    let mut rng = SplitMix64::new(seed);
    let mut extra = SplitMix64::new(seed ^ SDK_ONLY_SALT);
    let plan_count = (count / 150).clamp(3, 60);
    let plans: Vec<String> = (0..plan_count)
        .map(|_| format!("dbs{}", token(&mut rng, 10)))
        .collect();
    let mut seen = HashSet::with_capacity(count);
    let mean_gap = MEAN_GAP_MS.min(MAX_SPAN_MS / u64::try_from(count.max(1)).unwrap_or(u64::MAX));
    let mut created = NEWEST_CREATE_MS;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let id = loop {
            // Collisions are astronomically rare, but "every task exactly once" tests rely on
            // unique ids, so they are guaranteed rather than hoped for.
            let candidate = format!("r{}", token(&mut rng, 12));
            if seen.insert(candidate.clone()) {
                break candidate;
            }
        };
        let plan = rng.pick(&plans).clone();
        let mut t = task(&mut rng, id, plan, created);
        sdk_only_fields(&mut extra, &mut t);
        out.push(t);
        let gap = i64::try_from(rng.below(2 * mean_gap)).unwrap_or(0);
        created -= gap + 1;
    }
    out
}

fn task(rng: &mut SplitMix64, id: String, plan: String, created: i64) -> Task {
    let status = weighted_status(rng);
    let database = *rng.pick(DATABASES);
    let as_strings = rng.chance(0.25);
    let number = |v: i64| -> Value {
        if as_strings {
            Value::String(v.to_string())
        } else {
            json!(v)
        }
    };
    let mut t = Map::new();
    t.insert("RestoreTaskId".into(), json!(id));
    t.insert(
        "RestoreTaskName".into(),
        json!(format!(
            "{}-{}-{}",
            database,
            rng.pick(PURPOSES),
            rng.below(10_000)
        )),
    );
    t.insert("RestoreStatus".into(), json!(status));
    t.insert("BackupPlanId".into(), json!(plan));
    t.insert("BackupSetId".into(), json!(token(rng, 10)));
    if rng.chance(0.6) {
        t.insert(
            "BackupGatewayId".into(),
            number(1_000_000 + i64::try_from(rng.below(9_000_000)).unwrap_or(0)),
        );
    }
    if rng.chance(0.5) {
        t.insert(
            "RestoreDir".into(),
            json!(format!("/data/restore/{database}")),
        );
    }
    let objects = json!([{
        "DBName": database,
        "NewDBName": format!("{database}_restored"),
        "AllTable": rng.chance(0.7),
    }]);
    t.insert("RestoreObjects".into(), json!(objects.to_string()));
    let restored_at = created - 3_600_000 - i64::try_from(rng.below(7 * 86_400_000)).unwrap_or(0);
    t.insert("RestoreTime".into(), number(restored_at));
    t.insert("RestoreTaskCreateTime".into(), number(created));
    if matches!(status, "check_pass" | "stop") {
        let took = 60_000 + i64::try_from(rng.below(4 * 3_600_000)).unwrap_or(0);
        t.insert("RestoreTaskFinishTime".into(), number(created + took));
    }
    if rng.chance(0.1) {
        t.insert(
            "CrossAliyunId".into(),
            json!(format!("1{:015}", rng.below(1_000_000_000_000_000))),
        );
        t.insert("CrossRoleName".into(), json!("AliyunDBSRestoreRole"));
    }
    destination(rng, &mut t, database);
    progress(rng, &mut t, status, as_strings);
    match status {
        "stop" => {
            t.insert("ErrMessage".into(), json!(rng.pick(FAILURES)));
        }
        _ if rng.chance(0.15) => {} // some tasks simply lack the field
        _ => {
            t.insert("ErrMessage".into(), json!("NULL"));
        }
    }
    t
}

fn destination(rng: &mut SplitMix64, t: &mut Task, database: &str) {
    t.insert("DestinationEndpointRegion".into(), json!(rng.pick(REGIONS)));
    let kind = *rng.pick(&["RDS", "RDS", "PolarDB", "ECS", "Express"]);
    t.insert("DestinationEndpointInstanceType".into(), json!(kind));
    match kind {
        "RDS" => {
            t.insert(
                "DestinationEndpointInstanceID".into(),
                json!(format!("rm-{}", token(rng, 16))),
            );
        }
        "PolarDB" => {
            t.insert(
                "DestinationEndpointInstanceID".into(),
                json!(format!("pc-{}", token(rng, 16))),
            );
        }
        "ECS" => {
            t.insert(
                "DestinationEndpointInstanceID".into(),
                json!(format!("i-{}", token(rng, 18))),
            );
            t.insert("DestinationEndpointIpPort".into(), json!(address(rng)));
        }
        _ => {
            t.insert("DestinationEndpointIpPort".into(), json!(address(rng)));
        }
    }
    t.insert("DestinationEndpointDatabaseName".into(), json!(database));
    if rng.chance(0.8) {
        t.insert("DestinationEndpointUserName".into(), json!("dbs_restore"));
    }
    if rng.chance(0.05) {
        t.insert("DestinationEndpointOracleSID".into(), json!("ORCL"));
    }
}

fn progress(rng: &mut SplitMix64, t: &mut Task, status: &str, as_strings: bool) {
    let mut percent = |done: bool| -> Value {
        let v = if done {
            100
        } else {
            i64::try_from(rng.below(100)).unwrap_or(0)
        };
        if as_strings {
            Value::String(v.to_string())
        } else {
            json!(v)
        }
    };
    let (data, before, after, continuous) = match status {
        "check_pass" => (percent(true), percent(true), percent(true), percent(true)),
        "init" => (json!(0), json!(0), json!(0), json!(0)),
        _ => (
            percent(false),
            percent(true),
            percent(false),
            percent(false),
        ),
    };
    t.insert("FullDataRestoreProgress".into(), data);
    t.insert("FullStruforeRestoreProgress".into(), before);
    t.insert("FullStruAfterRestoreProgress".into(), after);
    t.insert("ContinuousRestoreProgress".into(), continuous);
}

/// The fields only the SDK's model has, consistent with what `task` drew: a gateway identifier
/// where there is a gateway, the destination's host and port from its instance or address, and
/// physical-restore progress for jobs that restore into a directory (physical backups do).
fn sdk_only_fields(rng: &mut SplitMix64, t: &mut Task) {
    let status = t["RestoreStatus"].as_str().unwrap_or_default().to_owned();
    let as_strings = t["FullDataRestoreProgress"].is_string();
    if t.contains_key("BackupGatewayId") {
        t.insert(
            "BackupGatewayIdentifier".into(),
            json!(format!("dbsgw{}", token(rng, 10))),
        );
    }
    if rng.chance(0.85) {
        t.insert("BackupSourceOssRegion".into(), json!(rng.pick(REGIONS)));
    }
    let kind = t["DestinationEndpointInstanceType"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if rng.chance(0.7) {
        let mode = if matches!(kind.as_str(), "ECS" | "Express") {
            "ECS"
        } else {
            "RDS"
        };
        t.insert("RestoreDestinationMode".into(), json!(mode));
    }
    if rng.chance(0.9) {
        let instance = t
            .get("DestinationEndpointInstanceID")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let address = t
            .get("DestinationEndpointIpPort")
            .and_then(Value::as_str)
            .and_then(|a| a.rsplit_once(':'))
            .map(|(host, port)| (host.to_owned(), port.to_owned()));
        let (host, port) = match (kind.as_str(), address) {
            (_, Some(address)) => address,
            ("PolarDB", None) => (
                format!("{instance}.mysql.polardb.rds.aliyuncs.com"),
                "3306".to_owned(),
            ),
            (_, None) => (
                format!("{instance}.mysql.rds.aliyuncs.com"),
                "3306".to_owned(),
            ),
        };
        t.insert("DestinationEndpointHost".into(), json!(host));
        t.insert("DestinationEndpointPort".into(), json!(port));
        let ssl = if rng.chance(0.3) { "true" } else { "false" };
        t.insert("DestinationEndpointEnableSsl".into(), json!(ssl));
    }
    if t.contains_key("RestoreDir") {
        let percent = |v: u64| -> Value {
            if as_strings {
                Value::String(v.to_string())
            } else {
                json!(v)
            }
        };
        let (full, increment, online) = match status.as_str() {
            "check_pass" => (100, 100, 100),
            "init" => (0, 0, 0),
            _ => {
                let full = if rng.chance(0.5) { 100 } else { rng.below(100) };
                let increment = if full == 100 { rng.below(100) } else { 0 };
                (full, increment, 0)
            }
        };
        let together = (full + increment) / 2;
        let pairs = [
            ("PhysicalBackupRecoverProgress", percent(together)),
            ("PhysicalFullBackupRecoverProgress", percent(full)),
            ("PhysicalIncrementBackupRecoverProgress", percent(increment)),
            (
                "PhysicalFullAndIncrementBackupRecoverProgress",
                percent(together),
            ),
            ("PhysicalDatabaseOnlineProgress", percent(online)),
        ];
        for (key, value) in pairs {
            t.insert(key.into(), value);
        }
    }
}

fn weighted_status(rng: &mut SplitMix64) -> &'static str {
    let total: u64 = STATUSES.iter().map(|(_, w)| w).sum();
    let mut roll = rng.below(total);
    for (status, weight) in STATUSES {
        if roll < *weight {
            return status;
        }
        roll -= weight;
    }
    "check_pass"
}

fn token(rng: &mut SplitMix64, len: usize) -> String {
    (0..len)
        .map(|_| char::from(*rng.pick(LOWER_ALNUM)))
        .collect()
}

fn address(rng: &mut SplitMix64) -> String {
    format!(
        "10.{}.{}.{}:3306",
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    )
}

#[cfg(test)]
mod tests {
    use super::super::filter::{number_field, text_field};
    use super::*;

    /// The distinct text values of `field` among `tasks`.
    fn distinct(tasks: &[Task], field: &str) -> HashSet<String> {
        tasks.iter().filter_map(|t| text_field(t, field)).collect()
    }

    #[test]
    fn deterministic_per_seed() {
        assert_eq!(tasks(50, 9), tasks(50, 9));
        assert_ne!(tasks(50, 9), tasks(50, 10));
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let all = tasks(2000, 1);
        let ids = distinct(&all, "RestoreTaskId");
        assert_eq!(ids.len(), 2000);
        assert!(ids.iter().all(|id| id.len() == 13
            && id.starts_with('r')
            && id.bytes().all(|b| LOWER_ALNUM.contains(&b))));
    }

    #[test]
    fn newest_first_and_spread_out() {
        let all = tasks(200, 2);
        let times: Vec<i64> = all
            .iter()
            .map(|t| number_field(t, "RestoreTaskCreateTime").unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] > w[1]));
        assert!(
            times[0] - times[199] > 30 * 86_400_000,
            "spans at least a month"
        );
    }

    #[test]
    fn variety_is_there() {
        let all = tasks(500, 3);
        let statuses = distinct(&all, "RestoreStatus");
        assert_eq!(statuses.len(), 5, "{statuses:?}");
        assert!(all.iter().any(|t| t["RestoreTaskCreateTime"].is_string()));
        assert!(all.iter().any(|t| t["RestoreTaskCreateTime"].is_number()));
        assert!(all.iter().any(|t| !t.contains_key("ErrMessage")));
        assert!(all
            .iter()
            .any(|t| t.get("ErrMessage") == Some(&json!("NULL"))));
        assert!(all
            .iter()
            .filter(|t| t["RestoreStatus"] == "stop")
            .all(|t| t["ErrMessage"].as_str().is_some_and(|m| m != "NULL")));
        let plans = distinct(&all, "BackupPlanId");
        assert!(plans.len() >= 3);
        for t in &all {
            let objects = t["RestoreObjects"].as_str().unwrap();
            assert!(serde_json::from_str::<Value>(objects).is_ok());
        }
    }

    #[test]
    fn every_field_of_the_sdk_model_turns_up_and_the_new_ones_are_sometimes_absent() {
        let all = tasks(500, 3);
        let model = serde_json::to_value(crate::alibaba::RestoreTask::default()).unwrap();
        let fields: Vec<&String> = model.as_object().unwrap().keys().collect();
        assert_eq!(fields.len(), 36);
        for field in fields {
            assert!(
                all.iter().any(|t| t.contains_key(field.as_str())),
                "{field} never generated"
            );
        }
        for field in crate::emulator::tasks::tests::SDK_ONLY_FIELDS {
            assert!(
                all.iter().any(|t| !t.contains_key(field)),
                "{field} always generated"
            );
        }
        for t in &all {
            for (key, value) in t {
                if key.starts_with("Physical") {
                    let n = value
                        .as_u64()
                        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
                        .unwrap();
                    assert!(n <= 100, "{key} {n}");
                }
            }
            if let Some(ssl) = t.get("DestinationEndpointEnableSsl") {
                assert!(ssl == "true" || ssl == "false", "{ssl}");
            }
            if let Some(port) = t.get("DestinationEndpointPort") {
                assert!(port.as_str().unwrap().parse::<u16>().is_ok(), "{port}");
            }
        }
        // Whatever the generator sends, the client reads.
        let page = json!({"Items": {"RestoreTaskDetail": all}});
        let parsed =
            crate::alibaba::restore_tasks::parse_page(page.to_string().as_bytes(), 500).unwrap();
        assert_eq!(parsed.tasks.len(), 500);
    }

    #[test]
    fn huge_counts_stay_in_a_sane_time_range() {
        let all = tasks(30_000, 5);
        let oldest = number_field(&all[all.len() - 1], "RestoreTaskCreateTime").unwrap();
        assert!(oldest > 1_500_000_000_000, "{oldest}");
    }

    #[test]
    fn zero_tasks() {
        assert!(tasks(0, 1).is_empty());
    }
}
