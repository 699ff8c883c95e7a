//! `DescribeRestoreTaskList`: the restore-job model, its query, and the listing's declaration.
//!
//! Everything that makes the read safe (retries, budget, paging exactly once, bounds, the strict
//! page shape) is generic ([`super::listing`]); this file says only what is particular to restore
//! jobs: the action, its filters, where a page keeps its jobs, how one job reads, and what
//! identifies it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::client::{ClientError, DbsClient};
use super::lenient::{
    self, float as lenient_f64, integer as lenient_i64, string as lenient_string,
};
use super::listing::{ItemPath, ListOptions, ListingShape, Noun, PageFields, PagedListing};
use super::page::{self, ParseError};
use super::rpc::DBS_API_VERSION;

/// Largest `PageSize` the API accepts; also what a query with `page_size: 0` gets.
pub const MAX_PAGE_SIZE: u32 = 100;

/// What to list. `page_size` is the API's `PageSize` (1..=100).
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct RestoreTaskQuery {
    /// `BackupPlanId` filter.
    pub backup_plan_id: Option<String>,
    /// `RestoreTaskId` filter, comma-joined on the wire.
    pub restore_task_ids: Vec<String>,
    /// `StartTimestamp`, ms since epoch.
    pub start_timestamp: Option<i64>,
    /// `EndTimestamp`, ms since epoch.
    pub end_timestamp: Option<i64>,
    /// `PageSize`, 1..=100.
    pub page_size: u32,
    /// Names this listing in log lines (not sent): with many listings sharing one client,
    /// the caller says which is which, e.g. by the query's own id.
    pub label: Option<String>,
    /// When the whole listing must be over, retries and waits included (not sent).
    pub deadline: Option<std::time::Instant>,
}

impl PagedListing for RestoreTaskQuery {
    type Item = RestoreTask;

    const SHAPE: ListingShape = ListingShape {
        action: "DescribeRestoreTaskList",
        version: DBS_API_VERSION,
        max_page_size: MAX_PAGE_SIZE,
        items: ItemPath {
            list: "Items",
            item: "RestoreTaskDetail",
        },
        id_field: "RestoreTaskId",
        fields: PageFields::DBS,
        noun: Noun {
            one: "restore job",
            many: "restore jobs",
            short: "jobs",
        },
    };

    fn parameters(&self) -> Vec<(String, String)> {
        let mut params = Vec::new();
        if let Some(plan) = self.backup_plan_id.as_ref().filter(|p| !p.is_empty()) {
            params.push(("BackupPlanId".to_owned(), plan.clone()));
        }
        let ids = self.ids();
        if !ids.is_empty() {
            params.push(("RestoreTaskId".to_owned(), ids.join(",")));
        }
        if let Some(start) = self.start_timestamp {
            params.push(("StartTimestamp".to_owned(), start.to_string()));
        }
        if let Some(end) = self.end_timestamp {
            params.push(("EndTimestamp".to_owned(), end.to_string()));
        }
        params
    }

    fn options(&self) -> ListOptions<'_> {
        ListOptions {
            page_size: self.page_size,
            label: self.label.as_deref(),
            deadline: self.deadline,
        }
    }

    fn parse_item(raw: &Value) -> Result<RestoreTask, String> {
        lenient::item_from_value(raw)
    }

    fn item_id(task: &RestoreTask) -> Option<&str> {
        task.restore_task_id.as_deref()
    }

    /// The plan, the ids and the creation-time window.
    fn keeps(&self, task: &RestoreTask) -> bool {
        if let Some(plan) = self.backup_plan_id.as_deref().filter(|p| !p.is_empty()) {
            if task.backup_plan_id.as_deref() != Some(plan) {
                return false;
            }
        }
        let ids = self.ids();
        if !ids.is_empty()
            && !task
                .restore_task_id
                .as_deref()
                .is_some_and(|id| ids.contains(&id))
        {
            return false;
        }
        if self.start_timestamp.is_some() || self.end_timestamp.is_some() {
            let Some(created) = task.restore_task_create_time else {
                return false;
            };
            if self.start_timestamp.is_some_and(|s| created < s)
                || self.end_timestamp.is_some_and(|e| created > e)
            {
                return false;
            }
        }
        true
    }
}

impl RestoreTaskQuery {
    /// The ids asked for; an empty one asks for nothing.
    fn ids(&self) -> Vec<&str> {
        self.restore_task_ids
            .iter()
            .map(String::as_str)
            .filter(|id| !id.is_empty())
            .collect()
    }
}

impl DbsClient {
    /// Every restore job matching the query, exactly once, in API order; see
    /// [`DbsClient::list`].
    pub async fn list_restore_tasks(
        &self,
        query: &RestoreTaskQuery,
        cancel: &CancellationToken,
    ) -> Result<Vec<RestoreTask>, ClientError> {
        self.list(query, cancel).await
    }
}

/// The jobs of one page, as the listing reads them.
#[derive(Clone, Debug, PartialEq)]
pub struct RestoreTaskPage {
    /// In API order.
    pub tasks: Vec<RestoreTask>,
}

/// Reads a successful `DescribeRestoreTaskList` body of at most `max_items` jobs with the
/// listing's own parser, for code that checks what the client makes of an answer (the
/// emulator's generator, the fuzz target).
pub fn parse_page(body: &[u8], max_items: usize) -> Result<RestoreTaskPage, ParseError> {
    let page = page::parse_page::<RestoreTaskQuery>(body, max_items)?;
    Ok(RestoreTaskPage { tasks: page.items })
}

/// One restore job: the 36 fields of the official SDK's model of a restore job
/// (`DescribeRestoreTaskListResponseBodyItemsRestoreTaskDetail` of `alibabacloud-dbs20190306`),
/// `None` when the API omits one (or sends an empty value). The SDK knows 11 more fields than
/// the published API reference; real answers may carry them, so they are read like the others.
///
/// Field names on the wire are the API's: the Rust name in PascalCase, or renamed where the API
/// spells it otherwise, typos included (`FullStruforeRestoreProgress`), so serializing a task
/// gives back the API's JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RestoreTask {
    /// `RestoreTaskId`.
    #[serde(deserialize_with = "lenient_string")]
    pub restore_task_id: Option<String>,
    /// `RestoreTaskName`.
    #[serde(deserialize_with = "lenient_string")]
    pub restore_task_name: Option<String>,
    /// `RestoreStatus` (init, running, stop, pause, check_pass, ...).
    #[serde(deserialize_with = "lenient_string")]
    pub restore_status: Option<String>,
    /// `BackupPlanId`.
    #[serde(deserialize_with = "lenient_string")]
    pub backup_plan_id: Option<String>,
    /// `BackupSetId`.
    #[serde(deserialize_with = "lenient_string")]
    pub backup_set_id: Option<String>,
    /// `BackupGatewayId`.
    #[serde(deserialize_with = "lenient_i64")]
    pub backup_gateway_id: Option<i64>,
    /// `BackupGatewayIdentifier` (SDK only).
    #[serde(deserialize_with = "lenient_string")]
    pub backup_gateway_identifier: Option<String>,
    /// `BackupSourceOssRegion` (SDK only).
    #[serde(deserialize_with = "lenient_string")]
    pub backup_source_oss_region: Option<String>,
    /// `RestoreDir`.
    #[serde(deserialize_with = "lenient_string")]
    pub restore_dir: Option<String>,
    /// `RestoreObjects`: raw JSON text, kept as sent.
    #[serde(deserialize_with = "lenient_string")]
    pub restore_objects: Option<String>,
    /// `RestoreDestinationMode` (SDK only).
    #[serde(deserialize_with = "lenient_string")]
    pub restore_destination_mode: Option<String>,
    /// `RestoreTime`, ms since epoch.
    #[serde(deserialize_with = "lenient_i64")]
    pub restore_time: Option<i64>,
    /// `RestoreTaskCreateTime`, ms since epoch.
    #[serde(deserialize_with = "lenient_i64")]
    pub restore_task_create_time: Option<i64>,
    /// `RestoreTaskFinishTime`, ms since epoch.
    #[serde(deserialize_with = "lenient_i64")]
    pub restore_task_finish_time: Option<i64>,
    /// `CrossAliyunId`.
    #[serde(deserialize_with = "lenient_string")]
    pub cross_aliyun_id: Option<String>,
    /// `CrossRoleName`.
    #[serde(deserialize_with = "lenient_string")]
    pub cross_role_name: Option<String>,
    /// `DestinationEndpointRegion`.
    #[serde(deserialize_with = "lenient_string")]
    pub destination_endpoint_region: Option<String>,
    /// `DestinationEndpointInstanceType`.
    #[serde(deserialize_with = "lenient_string")]
    pub destination_endpoint_instance_type: Option<String>,
    /// `DestinationEndpointInstanceID`.
    #[serde(
        rename = "DestinationEndpointInstanceID",
        alias = "DestinationEndpointInstanceId",
        deserialize_with = "lenient_string"
    )]
    pub destination_endpoint_instance_id: Option<String>,
    /// `DestinationEndpointIpPort`.
    #[serde(deserialize_with = "lenient_string")]
    pub destination_endpoint_ip_port: Option<String>,
    /// `DestinationEndpointHost` (SDK only).
    #[serde(deserialize_with = "lenient_string")]
    pub destination_endpoint_host: Option<String>,
    /// `DestinationEndpointPort` (SDK only): a string in the SDK, a number accepted too.
    #[serde(deserialize_with = "lenient_string")]
    pub destination_endpoint_port: Option<String>,
    /// `DestinationEndpointEnableSsl` (SDK only): a string in the SDK, a boolean accepted too.
    #[serde(deserialize_with = "lenient_string")]
    pub destination_endpoint_enable_ssl: Option<String>,
    /// `DestinationEndpointDatabaseName`.
    #[serde(deserialize_with = "lenient_string")]
    pub destination_endpoint_database_name: Option<String>,
    /// `DestinationEndpointUserName`.
    #[serde(deserialize_with = "lenient_string")]
    pub destination_endpoint_user_name: Option<String>,
    /// `DestinationEndpointOracleSID`.
    #[serde(
        rename = "DestinationEndpointOracleSID",
        alias = "DestinationEndpointOracleSid",
        deserialize_with = "lenient_string"
    )]
    pub destination_endpoint_oracle_sid: Option<String>,
    /// `FullDataRestoreProgress`, percent.
    #[serde(deserialize_with = "lenient_f64")]
    pub full_data_restore_progress: Option<f64>,
    /// `FullStruforeRestoreProgress` (sic), percent.
    #[serde(
        rename = "FullStruforeRestoreProgress",
        alias = "FullStruBeforeRestoreProgress",
        deserialize_with = "lenient_f64"
    )]
    pub full_struct_before_restore_progress: Option<f64>,
    /// `FullStruAfterRestoreProgress`, percent.
    #[serde(
        rename = "FullStruAfterRestoreProgress",
        deserialize_with = "lenient_f64"
    )]
    pub full_struct_after_restore_progress: Option<f64>,
    /// `ContinuousRestoreProgress`, percent.
    #[serde(deserialize_with = "lenient_f64")]
    pub continuous_restore_progress: Option<f64>,
    /// `PhysicalBackupRecoverProgress` (SDK only), percent.
    #[serde(deserialize_with = "lenient_f64")]
    pub physical_backup_recover_progress: Option<f64>,
    /// `PhysicalFullBackupRecoverProgress` (SDK only), percent.
    #[serde(deserialize_with = "lenient_f64")]
    pub physical_full_backup_recover_progress: Option<f64>,
    /// `PhysicalIncrementBackupRecoverProgress` (SDK only), percent.
    #[serde(deserialize_with = "lenient_f64")]
    pub physical_increment_backup_recover_progress: Option<f64>,
    /// `PhysicalFullAndIncrementBackupRecoverProgress` (SDK only), percent.
    #[serde(deserialize_with = "lenient_f64")]
    pub physical_full_and_increment_backup_recover_progress: Option<f64>,
    /// `PhysicalDatabaseOnlineProgress` (SDK only), percent.
    #[serde(deserialize_with = "lenient_f64")]
    pub physical_database_online_progress: Option<f64>,
    /// `ErrMessage`, raw (the API writes the literal `"NULL"` for none; the provider maps it).
    #[serde(deserialize_with = "lenient_string")]
    pub err_message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_query_maps_every_filter_to_a_parameter() {
        let q = RestoreTaskQuery {
            backup_plan_id: Some("plan".into()),
            restore_task_ids: vec!["a".into(), String::new(), "b".into()],
            start_timestamp: Some(1),
            end_timestamp: Some(2),
            page_size: 50,
            label: Some("not sent".into()),
            deadline: None,
        };
        assert_eq!(
            q.parameters(),
            [
                ("BackupPlanId", "plan"),
                ("RestoreTaskId", "a,b"),
                ("StartTimestamp", "1"),
                ("EndTimestamp", "2"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert!(RestoreTaskQuery::default().parameters().is_empty());
        assert_eq!(q.options().page_size, 50);
        assert_eq!(q.options().label, Some("not sent"));
    }

    #[test]
    fn the_page_parser_for_outside_checks_is_the_listings() {
        let body =
            br#"{"Items":{"RestoreTaskDetail":[{"RestoreTaskId":"a"},{"RestoreTaskId":"b"}]}}"#;
        let ids: Vec<_> = parse_page(body, 100)
            .unwrap()
            .tasks
            .into_iter()
            .map(|t| t.restore_task_id)
            .collect();
        assert_eq!(ids, [Some("a".to_owned()), Some("b".to_owned())]);
        assert!(matches!(
            parse_page(body, 1),
            Err(ParseError::TooManyItems { found: 2, .. })
        ));
    }

    fn read(body: &[u8]) -> Result<page::Page<RestoreTask>, ParseError> {
        page::parse_page::<RestoreTaskQuery>(body, 100)
    }

    fn page(json: &str) -> page::Page<RestoreTask> {
        read(json.as_bytes()).unwrap()
    }

    #[test]
    fn pages_read_and_refuse_what_every_listing_must() {
        page::conformance::empty_pages_in_every_spelling::<RestoreTaskQuery>();
        page::conformance::wrong_shapes_are_errors::<RestoreTaskQuery>();
        page::conformance::garbage_is_a_typed_error::<RestoreTaskQuery>();
    }
    #[test]
    fn numbers_as_numbers_or_strings() {
        let p = page(
            r#"{"PageNum":"1","PageSize":100,"TotalPages":"3","TotalElements":250,
                "Items":{"RestoreTaskDetail":[
                  {"RestoreTaskId":"a","BackupGatewayId":"1234","RestoreTime":1700000000000,
                   "FullDataRestoreProgress":"100","ContinuousRestoreProgress":" 50 ",
                   "FullStruforeRestoreProgress":"75%","FullStruAfterRestoreProgress":99.5,
                   "RestoreTaskCreateTime":"1700000000000","RestoreTaskFinishTime":"",
                   "BackupSetId":12345,"PhysicalBackupRecoverProgress":"40",
                   "PhysicalFullBackupRecoverProgress":100,
                   "PhysicalIncrementBackupRecoverProgress":"12.5%",
                   "PhysicalFullAndIncrementBackupRecoverProgress":" 56 ",
                   "PhysicalDatabaseOnlineProgress":"","DestinationEndpointPort":3306,
                   "DestinationEndpointEnableSsl":true}]}}"#,
        );
        assert_eq!(
            (p.page_num, p.page_size, p.total_pages, p.total_elements),
            (Some(1), Some(100), Some(3), Some(250))
        );
        let t = &p.items[0];
        assert_eq!(t.backup_gateway_id, Some(1234));
        assert_eq!(t.restore_time, Some(1_700_000_000_000));
        assert_eq!(t.restore_task_create_time, Some(1_700_000_000_000));
        assert_eq!(t.restore_task_finish_time, None);
        assert_eq!(t.full_data_restore_progress, Some(100.0));
        assert_eq!(t.continuous_restore_progress, Some(50.0));
        assert_eq!(t.full_struct_before_restore_progress, Some(75.0));
        assert_eq!(t.full_struct_after_restore_progress, Some(99.5));
        assert_eq!(t.backup_set_id.as_deref(), Some("12345"));
        assert_eq!(t.physical_backup_recover_progress, Some(40.0));
        assert_eq!(t.physical_full_backup_recover_progress, Some(100.0));
        assert_eq!(t.physical_increment_backup_recover_progress, Some(12.5));
        assert_eq!(
            t.physical_full_and_increment_backup_recover_progress,
            Some(56.0)
        );
        assert_eq!(t.physical_database_online_progress, None);
        // Strings in the SDK's model; other scalars are kept as their text.
        assert_eq!(t.destination_endpoint_port.as_deref(), Some("3306"));
        assert_eq!(t.destination_endpoint_enable_ssl.as_deref(), Some("true"));
    }

    #[test]
    fn every_field_is_mapped_and_unknown_fields_are_ignored() {
        let p = page(
            r#"{"Items":{"RestoreTaskDetail":[{
              "RestoreTaskId":"id","RestoreTaskName":"name","RestoreStatus":"running",
              "BackupPlanId":"plan","BackupSetId":"set","BackupGatewayId":7,"RestoreDir":"/d",
              "RestoreObjects":"[{\"DBName\":\"db\"}]","RestoreTime":1,"RestoreTaskCreateTime":2,
              "RestoreTaskFinishTime":3,"CrossAliyunId":"x","CrossRoleName":"role",
              "DestinationEndpointRegion":"cn-hangzhou","DestinationEndpointInstanceType":"RDS",
              "DestinationEndpointInstanceID":"rm-1","DestinationEndpointIpPort":"1.2.3.4:3306",
              "DestinationEndpointDatabaseName":"db","DestinationEndpointUserName":"u",
              "DestinationEndpointOracleSID":"sid","FullDataRestoreProgress":10,
              "FullStruforeRestoreProgress":20,"FullStruAfterRestoreProgress":30,
              "ContinuousRestoreProgress":40,"ErrMessage":"NULL","SomethingNew":{"x":[1]},
              "BackupGatewayIdentifier":"gw","BackupSourceOssRegion":"cn-beijing",
              "DestinationEndpointEnableSsl":"false","DestinationEndpointHost":"h.example",
              "DestinationEndpointPort":"3306","RestoreDestinationMode":"mode",
              "PhysicalBackupRecoverProgress":50,"PhysicalDatabaseOnlineProgress":60,
              "PhysicalFullAndIncrementBackupRecoverProgress":70,
              "PhysicalFullBackupRecoverProgress":80,"PhysicalIncrementBackupRecoverProgress":90}]}}"#,
        );
        let expected = RestoreTask {
            restore_task_id: Some("id".into()),
            restore_task_name: Some("name".into()),
            restore_status: Some("running".into()),
            backup_plan_id: Some("plan".into()),
            backup_set_id: Some("set".into()),
            backup_gateway_id: Some(7),
            restore_dir: Some("/d".into()),
            restore_objects: Some(r#"[{"DBName":"db"}]"#.into()),
            restore_time: Some(1),
            restore_task_create_time: Some(2),
            restore_task_finish_time: Some(3),
            cross_aliyun_id: Some("x".into()),
            cross_role_name: Some("role".into()),
            destination_endpoint_region: Some("cn-hangzhou".into()),
            destination_endpoint_instance_type: Some("RDS".into()),
            destination_endpoint_instance_id: Some("rm-1".into()),
            destination_endpoint_ip_port: Some("1.2.3.4:3306".into()),
            destination_endpoint_database_name: Some("db".into()),
            destination_endpoint_user_name: Some("u".into()),
            destination_endpoint_oracle_sid: Some("sid".into()),
            full_data_restore_progress: Some(10.0),
            full_struct_before_restore_progress: Some(20.0),
            full_struct_after_restore_progress: Some(30.0),
            continuous_restore_progress: Some(40.0),
            err_message: Some("NULL".into()),
            backup_gateway_identifier: Some("gw".into()),
            backup_source_oss_region: Some("cn-beijing".into()),
            destination_endpoint_enable_ssl: Some("false".into()),
            destination_endpoint_host: Some("h.example".into()),
            destination_endpoint_port: Some("3306".into()),
            restore_destination_mode: Some("mode".into()),
            physical_backup_recover_progress: Some(50.0),
            physical_database_online_progress: Some(60.0),
            physical_full_and_increment_backup_recover_progress: Some(70.0),
            physical_full_backup_recover_progress: Some(80.0),
            physical_increment_backup_recover_progress: Some(90.0),
        };
        assert_eq!(p.items, vec![expected.clone()]);
        // Serializing gives the API's field names back, so a round trip is lossless.
        let json = serde_json::to_string(&expected).unwrap();
        assert!(json.contains("\"FullStruforeRestoreProgress\":20"));
        // One JSON key per field of the SDK's model, none dropped and none added.
        let keys = serde_json::from_str::<serde_json::Map<String, Value>>(&json)
            .unwrap()
            .len();
        assert_eq!(keys, 36);
        let again: RestoreTask = serde_json::from_str(&json).unwrap();
        assert_eq!(again, expected);
    }

    #[test]
    fn a_field_of_the_wrong_type_is_named_with_the_job() {
        for (field, value) in [
            ("PhysicalBackupRecoverProgress", r#""half""#),
            ("PhysicalDatabaseOnlineProgress", "true"),
            ("PhysicalFullAndIncrementBackupRecoverProgress", "[1]"),
            ("PhysicalFullBackupRecoverProgress", r#"{"a":1}"#),
            ("PhysicalIncrementBackupRecoverProgress", r#""NaN""#),
            ("FullDataRestoreProgress", r#""soon""#),
            ("RestoreTime", r#""soon""#),
        ] {
            let body = format!(
                r#"{{"Items":{{"RestoreTaskDetail":[{{"RestoreTaskId":"r-ok"}},
                   {{"RestoreTaskId":"r-bad","RestoreTaskName":"n",{field:?}:{value}}}]}}}}"#
            );
            let err = read(body.as_bytes()).unwrap_err();
            let text = err.to_string();
            assert!(
                matches!(err, ParseError::BadItem { index: 1, .. }),
                "{text}"
            );
            assert!(text.contains("(r-bad)"), "{text}");
            assert!(text.contains(&format!("`{field}`")), "{text}");
        }
    }

    #[test]
    fn missing_fields_are_none() {
        let p = page(r#"{"Items":{"RestoreTaskDetail":[{}]}}"#);
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.items[0].restore_task_id, None);
        assert_eq!(p.items[0].backup_gateway_id, None);
        assert_eq!(p.items[0].destination_endpoint_host, None);
        assert_eq!(p.items[0].physical_database_online_progress, None);
    }

    #[test]
    fn single_object_detail_is_a_list_of_one() {
        let p = page(r#"{"Items":{"RestoreTaskDetail":{"RestoreTaskId":"only"}}}"#);
        assert_eq!(p.items.len(), 1);
    }

    #[test]
    fn a_bad_job_is_named_by_position_and_id() {
        let bad = parse_page(
            br#"{"Items":{"RestoreTaskDetail":[{"RestoreTaskId":"a"},{"RestoreTaskId":"b7","RestoreTime":"soon"}]}}"#,
            100,
        );
        match bad {
            Err(e @ ParseError::BadItem { .. }) => {
                let ParseError::BadItem {
                    index, ref detail, ..
                } = e
                else {
                    unreachable!()
                };
                assert_eq!(index, 1);
                assert!(e.to_string().contains("(b7)"), "{e}");
                assert!(detail.contains("soon"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_query_filters_apply_locally_too() {
        let task = |id: &str, plan: &str, created: i64| RestoreTask {
            restore_task_id: Some(id.into()),
            backup_plan_id: Some(plan.into()),
            restore_task_create_time: Some(created),
            ..RestoreTask::default()
        };
        let by_ids = RestoreTaskQuery {
            restore_task_ids: vec!["a".into()],
            ..RestoreTaskQuery::default()
        };
        assert!(by_ids.keeps(&task("a", "p", 5)));
        assert!(!by_ids.keeps(&task("b", "p", 5)));
        let by_plan = RestoreTaskQuery {
            backup_plan_id: Some("p".into()),
            start_timestamp: Some(5),
            end_timestamp: Some(10),
            ..RestoreTaskQuery::default()
        };
        assert!(by_plan.keeps(&task("a", "p", 5)) && by_plan.keeps(&task("a", "p", 10)));
        assert!(!by_plan.keeps(&task("a", "q", 7)));
        assert!(!by_plan.keeps(&task("a", "p", 4)) && !by_plan.keeps(&task("a", "p", 11)));
        assert!(!by_plan.keeps(&RestoreTask::default()));
        assert!(RestoreTaskQuery::default().keeps(&RestoreTask::default()));
    }

    #[test]
    fn out_of_range_numbers_are_errors_not_wraparounds() {
        assert!(parse_page(br#"{"Items":[{"RestoreTime":1e300}]}"#, 100).is_err());
        assert!(parse_page(br#"{"Items":[{"RestoreTime":18446744073709551615}]}"#, 100).is_err());
        assert!(parse_page(br#"{"Items":[{"RestoreTime":true}]}"#, 100).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_page(&body, 100);
        }

        #[test]
        fn arbitrary_json_values_in_task_fields_never_panic(
            s in any::<String>(), f in any::<f64>(), i in any::<i64>(), b in any::<bool>()
        ) {
            let body = serde_json::json!({"PageNum": s, "TotalElements": f,
                "Items": {"RestoreTaskDetail": [
                    {"RestoreTaskId": i, "RestoreTime": s, "BackupGatewayId": f,
                     "RestoreTaskName": b, "FullDataRestoreProgress": [s]}]}});
            let _ = parse_page(body.to_string().as_bytes(), 100);
        }
    }
}
