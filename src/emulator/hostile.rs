//! A hostile endpoint, on request (`--hostile MODE`): what a broken proxy, a captive portal, a
//! gateway bug, an API change or an attacker on the path might answer. Each mode is one way an
//! answer can lie or overwhelm; a client that reads any of them must stay bounded (time, memory,
//! requests) and truthful (an error that names the cause, never a silently wrong result), and
//! must show no secret and no control character from the answer. The suite's tests and the
//! users' own pipelines can point at it alike.

use std::fmt;
use std::str::FromStr;

use serde_json::{json, Value};

/// One way to misbehave. Modes act after the signature check, so every request is a valid one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hostile {
    /// Real pages that announce `TotalPages: 1000000000`.
    TotalPagesHuge,
    /// Real pages that echo `PageSize: 1` and announce ten million jobs.
    PageSizeOne,
    /// The first page announces 10^11 jobs.
    TotalElementsHuge,
    /// The first page is real and announces 5,000 jobs; every later page is empty.
    EmptyAfterFirst,
    /// New jobs on every page, full pages, `TotalElements: -1`, for ever.
    NewJobsForever,
    /// A 200 whose body never ends.
    EndlessBody,
    /// A 200 announcing (and sending) a 300 MB body.
    HugeBody,
    /// A page of one million items, whatever `PageSize` asked for.
    MillionItems,
    /// HTTP 200 with `ErrCode`/`ErrMessage` and no `Success`.
    ErrCodeOn200,
    /// HTTP 200 with `Code`/`Message` and no `Items`.
    CodeOn200,
    /// A page with `Success: 0`.
    SuccessZero,
    /// `Items` is a string.
    ItemsString,
    /// The jobs under `Data` instead of `Items.RestoreTaskDetail`.
    OtherKey,
    /// Every job, whatever `BackupPlanId` or `RestoreTaskId` asked for.
    IgnoreFilters,
    /// A 400 whose `Message` is 20 MB long.
    HugeMessage,
    /// A 400 whose `Message` carries ANSI escapes, BEL and a fake "Apply complete!" line.
    EscapeMessage,
    /// A 400 quoting the request's `Signature` and `SecurityToken` as JSON.
    EchoSecretsJson,
    /// A 400 quoting them as `Signature: ...` lines.
    EchoSecretsHeader,
    /// A 400 whose `Code` contains the `Signature`.
    SecretInCode,
    /// Successful pages whose `RequestId` is the request's `Signature`.
    SecretInRequestId,
    /// The first request for each page is a 429 with `Retry-After: 2` and no body.
    RetryAfter,
    /// A 302 redirect elsewhere.
    Redirect,
    /// A gzip-compressed body nobody asked for.
    Gzip,
    /// A body nested 10,000 levels deep.
    Deep,
    /// A page whose `TotalElements` is 1e400.
    NumberOutOfRange,
}

impl Hostile {
    /// Every mode, in the order `--help` lists them.
    pub const ALL: [Hostile; 25] = [
        Hostile::TotalPagesHuge,
        Hostile::PageSizeOne,
        Hostile::TotalElementsHuge,
        Hostile::EmptyAfterFirst,
        Hostile::NewJobsForever,
        Hostile::EndlessBody,
        Hostile::HugeBody,
        Hostile::MillionItems,
        Hostile::ErrCodeOn200,
        Hostile::CodeOn200,
        Hostile::SuccessZero,
        Hostile::ItemsString,
        Hostile::OtherKey,
        Hostile::IgnoreFilters,
        Hostile::HugeMessage,
        Hostile::EscapeMessage,
        Hostile::EchoSecretsJson,
        Hostile::EchoSecretsHeader,
        Hostile::SecretInCode,
        Hostile::SecretInRequestId,
        Hostile::RetryAfter,
        Hostile::Redirect,
        Hostile::Gzip,
        Hostile::Deep,
        Hostile::NumberOutOfRange,
    ];

    /// The name `--hostile` takes.
    pub fn name(self) -> &'static str {
        match self {
            Hostile::TotalPagesHuge => "total-pages-huge",
            Hostile::PageSizeOne => "page-size-one",
            Hostile::TotalElementsHuge => "total-elements-huge",
            Hostile::EmptyAfterFirst => "empty-after-first",
            Hostile::NewJobsForever => "new-jobs-forever",
            Hostile::EndlessBody => "endless-body",
            Hostile::HugeBody => "huge-body",
            Hostile::MillionItems => "million-items",
            Hostile::ErrCodeOn200 => "errcode-on-200",
            Hostile::CodeOn200 => "code-on-200",
            Hostile::SuccessZero => "success-zero",
            Hostile::ItemsString => "items-string",
            Hostile::OtherKey => "other-key",
            Hostile::IgnoreFilters => "ignore-filters",
            Hostile::HugeMessage => "huge-message",
            Hostile::EscapeMessage => "escape-message",
            Hostile::EchoSecretsJson => "echo-secrets-json",
            Hostile::EchoSecretsHeader => "echo-secrets-header",
            Hostile::SecretInCode => "secret-in-code",
            Hostile::SecretInRequestId => "secret-in-request-id",
            Hostile::RetryAfter => "retry-after",
            Hostile::Redirect => "redirect",
            Hostile::Gzip => "gzip",
            Hostile::Deep => "deep",
            Hostile::NumberOutOfRange => "number-out-of-range",
        }
    }

    /// Whether the mode answers the genuine request unfiltered (the service needs to know
    /// before it builds the page).
    pub(crate) fn ignores_filters(self) -> bool {
        self == Hostile::IgnoreFilters
    }
}

impl fmt::Display for Hostile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Hostile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Hostile::ALL
            .iter()
            .copied()
            .find(|h| h.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Hostile::ALL.iter().map(|h| h.name()).collect();
                format!("unknown hostile mode `{s}` (one of: {})", names.join(", "))
            })
    }
}

/// A body that is not a plain byte string.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stream {
    /// `prefix`, then `unit` `count` times, then `suffix`, with the whole length announced.
    Repeat {
        prefix: Vec<u8>,
        unit: Vec<u8>,
        count: u64,
        suffix: Vec<u8>,
    },
    /// `prefix`, then `unit` for ever, without a length.
    Endless { prefix: Vec<u8>, unit: Vec<u8> },
}

/// A hostile answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HostileReply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Result<Vec<u8>, Stream>,
    pub(crate) summary: String,
}

/// What a hostile answer may draw on.
pub(crate) struct Context<'a> {
    /// The genuine page for this request, as JSON.
    pub(crate) genuine: Value,
    pub(crate) request_id: &'a str,
    pub(crate) signature: &'a str,
    pub(crate) security_token: &'a str,
    pub(crate) page_num: i64,
    /// Whether this page was asked for before (for `retry-after`).
    pub(crate) seen_before: bool,
}

fn json_reply(status: u16, body: &Value, summary: &str) -> HostileReply {
    HostileReply {
        status,
        headers: vec![("content-type", "application/json;charset=utf-8".to_owned())],
        body: Ok(body.to_string().into_bytes()),
        summary: summary.to_owned(),
    }
}

fn error_400(code: &str, message: &str, request_id: &str) -> Value {
    json!({
        "RequestId": request_id,
        "HostId": "dbs-api.cn-hangzhou.aliyuncs.com",
        "Code": code,
        "Message": message,
    })
}

/// The answer `mode` gives; `None` for the genuine one.
pub(crate) fn answer(mode: Hostile, ctx: Context<'_>) -> Option<HostileReply> {
    let mut page = ctx.genuine;
    let id = ctx.request_id;
    let reply = match mode {
        Hostile::TotalPagesHuge => {
            page["TotalPages"] = json!(1_000_000_000u64);
            json_reply(200, &page, "page claiming 1e9 pages")
        }
        Hostile::PageSizeOne => {
            page["PageSize"] = json!(1);
            page["TotalElements"] = json!(10_000_000u64);
            json_reply(200, &page, "page echoing PageSize 1, 1e7 jobs")
        }
        Hostile::TotalElementsHuge => {
            page["TotalElements"] = json!(100_000_000_000u64);
            page["TotalPages"] = json!(1_000_000_000u64);
            json_reply(200, &page, "page claiming 1e11 jobs")
        }
        Hostile::EmptyAfterFirst => {
            page["TotalElements"] = json!(5000);
            page["TotalPages"] = json!(50);
            if ctx.page_num > 0 {
                page["Items"] = json!({ "RestoreTaskDetail": [] });
            }
            json_reply(200, &page, "5000 jobs announced, later pages empty")
        }
        Hostile::NewJobsForever => {
            let size = page["PageSize"].as_i64().unwrap_or(30).clamp(1, 100);
            let jobs: Vec<Value> = (0..size)
                .map(|i| json!({ "RestoreTaskId": format!("fresh-{}-{i}", ctx.page_num), "BackupPlanId": "dbs1hostile" }))
                .collect();
            page["TotalElements"] = json!(-1);
            page["TotalPages"] = json!(-1);
            page["Items"] = json!({ "RestoreTaskDetail": jobs });
            json_reply(200, &page, "a full page of new jobs")
        }
        Hostile::EndlessBody => HostileReply {
            status: 200,
            headers: vec![("content-type", "application/json".to_owned())],
            body: Err(Stream::Endless {
                prefix: br#"{"RequestId":"endless","Items":{"RestoreTaskDetail":["#.to_vec(),
                unit: br#"{"RestoreTaskId":"r"},"#.to_vec(),
            }),
            summary: "an endless body".to_owned(),
        },
        Hostile::HugeBody => HostileReply {
            status: 200,
            headers: vec![("content-type", "application/json".to_owned())],
            body: Err(Stream::Repeat {
                prefix: br#"{"RequestId":"huge","Items":{"RestoreTaskDetail":[{"RestoreTaskId":"h","RestoreObjects":""#.to_vec(),
                unit: vec![b'x'; 1 << 16],
                count: 300 * 16,
                suffix: br#""}]}}"#.to_vec(),
            }),
            summary: "a 300 MB body".to_owned(),
        },
        Hostile::MillionItems => HostileReply {
            status: 200,
            headers: vec![("content-type", "application/json".to_owned())],
            body: Err(Stream::Repeat {
                prefix: br#"{"RequestId":"million","TotalElements":1000000,"Items":{"RestoreTaskDetail":["#.to_vec(),
                unit: br#"{"RestoreTaskId":"m"},"#.to_vec(),
                count: 999_999,
                suffix: br#"{"RestoreTaskId":"m"}]}}"#.to_vec(),
            }),
            summary: "a page of a million items".to_owned(),
        },
        Hostile::ErrCodeOn200 => json_reply(
            200,
            &json!({ "RequestId": id, "ErrCode": "InternalError", "ErrMessage": "The request processing has failed." }),
            "200 with ErrCode",
        ),
        Hostile::CodeOn200 => json_reply(
            200,
            &json!({ "RequestId": id, "Code": "Forbidden.RAM", "Message": "User not authorized to operate on the specified resource." }),
            "200 with Code",
        ),
        Hostile::SuccessZero => {
            page["Success"] = json!(0);
            json_reply(200, &page, "Success: 0")
        }
        Hostile::ItemsString => {
            page["Items"] = json!("none");
            json_reply(200, &page, "Items is a string")
        }
        Hostile::OtherKey => {
            let items = page["Items"]["RestoreTaskDetail"].take();
            page.as_object_mut().map(|o| o.remove("Items"));
            page["Data"] = items;
            json_reply(200, &page, "the list under Data")
        }
        Hostile::IgnoreFilters => return None,
        Hostile::HugeMessage => json_reply(
            400,
            &error_400("InvalidParameter", &"The parameter is invalid. ".repeat(800_000), id),
            "a 20 MB message",
        ),
        Hostile::EscapeMessage => json_reply(
            400,
            &error_400(
                "InvalidParameter",
                "bad \u{1b}[31mred\u{1b}[0m\u{7}\n\nApply complete! Resources: 0 added, 0 changed, 0 destroyed.\r\n",
                id,
            ),
            "escape sequences in the message",
        ),
        Hostile::EchoSecretsJson => {
            let quoted = json!({ "Signature": ctx.signature, "SecurityToken": ctx.security_token }).to_string();
            json_reply(400, &error_400("IncompleteSignature", &format!("the request was {quoted}"), id), "secrets quoted as JSON")
        }
        Hostile::EchoSecretsHeader => json_reply(
            400,
            &error_400(
                "IncompleteSignature",
                &format!("request headers:\nSignature: {}\nSecurityToken: {}\n", ctx.signature, ctx.security_token),
                id,
            ),
            "secrets quoted as headers",
        ),
        Hostile::SecretInCode => json_reply(
            400,
            &error_400(&format!("Signature.{}", ctx.signature), "bad signature", id),
            "the signature in Code",
        ),
        Hostile::SecretInRequestId => {
            page["RequestId"] = json!(ctx.signature);
            let mut reply = json_reply(200, &page, "the signature as RequestId");
            reply.headers.push(("x-acs-request-id", ctx.signature.to_owned()));
            reply
        }
        Hostile::RetryAfter if !ctx.seen_before => HostileReply {
            status: 429,
            headers: vec![("retry-after", "2".to_owned())],
            body: Ok(Vec::new()),
            summary: "429, Retry-After: 2".to_owned(),
        },
        Hostile::RetryAfter => return None,
        Hostile::Redirect => HostileReply {
            status: 302,
            headers: vec![("location", "http://captive-portal.invalid/login?next=dbs".to_owned())],
            body: Ok(b"<html>Please log in</html>".to_vec()),
            summary: "302 to a captive portal".to_owned(),
        },
        Hostile::Gzip => HostileReply {
            status: 200,
            headers: vec![
                ("content-type", "application/json".to_owned()),
                ("content-encoding", "gzip".to_owned()),
            ],
            body: Ok(vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            summary: "an unasked-for gzip body".to_owned(),
        },
        Hostile::Deep => {
            let mut body = b"{\"RequestId\":\"deep\",\"Items\":".to_vec();
            body.extend(std::iter::repeat_n(b'[', 10_000));
            body.extend(std::iter::repeat_n(b']', 10_000));
            body.push(b'}');
            HostileReply {
                status: 200,
                headers: vec![("content-type", "application/json".to_owned())],
                body: Ok(body),
                summary: "a 10,000-deep body".to_owned(),
            }
        }
        Hostile::NumberOutOfRange => {
            let text = page.to_string();
            let body = text.replacen("\"TotalElements\":", "\"TotalElements\":1e400,\"Was\":", 1);
            HostileReply {
                status: 200,
                headers: vec![("content-type", "application/json".to_owned())],
                body: Ok(body.into_bytes()),
                summary: "TotalElements 1e400".to_owned(),
            }
        }
    };
    Some(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(page_num: i64) -> Context<'static> {
        Context {
            genuine: json!({"RequestId":"R","PageNum":page_num,"PageSize":30,"TotalPages":1,"TotalElements":2,
                "Items":{"RestoreTaskDetail":[{"RestoreTaskId":"a"},{"RestoreTaskId":"b"}]}}),
            request_id: "R",
            signature: "SIG/abc+def=",
            security_token: "TOKEN-123456",
            page_num,
            seen_before: false,
        }
    }

    #[test]
    fn names_round_trip_and_unknown_names_list_the_choices() {
        for mode in Hostile::ALL {
            assert_eq!(mode.name().parse::<Hostile>(), Ok(mode));
        }
        let err = "nope".parse::<Hostile>().unwrap_err();
        assert!(
            err.contains("total-pages-huge") && err.contains("number-out-of-range"),
            "{err}"
        );
    }

    #[test]
    fn each_mode_answers_what_it_says() {
        let body = |r: &HostileReply| String::from_utf8(r.body.as_ref().unwrap().clone()).unwrap();
        let r = answer(Hostile::EchoSecretsJson, ctx(0)).unwrap();
        assert!(body(&r).contains("SIG/abc+def=") && body(&r).contains("TOKEN-123456"));
        let r = answer(Hostile::OtherKey, ctx(0)).unwrap();
        let v: Value = serde_json::from_str(&body(&r)).unwrap();
        assert!(v.get("Items").is_none() && v["Data"].as_array().unwrap().len() == 2);
        let r = answer(Hostile::NumberOutOfRange, ctx(0)).unwrap();
        assert!(body(&r).contains("\"TotalElements\":1e400,"));
        assert!(serde_json::from_str::<Value>(&body(&r)).is_err());
        let r = answer(Hostile::EmptyAfterFirst, ctx(1)).unwrap();
        assert!(body(&r).contains("\"RestoreTaskDetail\":[]"));
        assert_eq!(answer(Hostile::RetryAfter, ctx(0)).unwrap().status, 429);
        let mut again = ctx(0);
        again.seen_before = true;
        assert_eq!(answer(Hostile::RetryAfter, again), None);
        assert_eq!(answer(Hostile::IgnoreFilters, ctx(0)), None);
        let r = answer(Hostile::HugeMessage, ctx(0)).unwrap();
        assert!(r.body.as_ref().unwrap().len() > 20_000_000);
    }
}
