//! Encoding cost of a 10,000-job `dbs_restore_tasks` state into msgpack (and
//! back), the last step of every read. Run with `cargo bench --bench encode`.

use std::sync::LazyLock;

use terraform_provider_dbs::plugin::cty::{self, CtyType, Value};
use terraform_provider_dbs::plugin::Provider;
use terraform_provider_dbs::provider::DbsProvider;

const JOBS: usize = 10_000;

fn main() {
    divan::main();
}

/// A state shaped exactly like the data source's, with realistic values:
/// ids and names as strings, millisecond times as big integers, small
/// progress numbers, about a tenth of the optional fields null.
static STATE: LazyLock<(Value, CtyType)> = LazyLock::new(|| {
    let schema = DbsProvider::new()
        .data_sources()
        .into_iter()
        .find(|d| d.type_name() == "dbs_restore_tasks")
        .expect("data source")
        .schema();
    let ty = schema.value_type();
    let CtyType::Object(top) = &ty else {
        unreachable!("schemas are objects")
    };
    let task_ty = match &top["tasks"] {
        CtyType::List(inner) => (**inner).clone(),
        other => panic!("tasks is {other:?}"),
    };
    let CtyType::Object(fields) = &task_ty else {
        unreachable!("tasks are objects")
    };
    let tasks: Vec<Value> = (0..JOBS)
        .map(|i| {
            Value::object(fields.iter().enumerate().map(|(f, (name, t))| {
                let value = if (i + f) % 10 == 0 {
                    Value::Null
                } else if *t == CtyType::Number {
                    if name.ends_with("timestamp") {
                        Value::Number((1_700_000_000_000i64 + i as i64 * 60_000).into())
                    } else {
                        Value::Number((((i * 7 + f) % 101) as i64).into())
                    }
                } else {
                    Value::String(format!("{name}-{i:05}"))
                };
                (name.clone(), value)
            }))
        })
        .collect();
    let state = Value::object(top.keys().map(|k| {
        let v = match k.as_str() {
            "tasks" => Value::List(tasks.clone()),
            "total_count" => Value::Number((JOBS as i64).into()),
            "id" => Value::String("0123456789abcdef".into()),
            _ => Value::Null,
        };
        (k.clone(), v)
    }));
    (state, ty)
});

#[divan::bench(sample_count = 20)]
fn encode_10k_jobs(bencher: divan::Bencher) {
    let (state, ty) = &*STATE;
    bencher.bench(|| cty::encode(divan::black_box(state), ty).expect("encodes"));
}

#[divan::bench(sample_count = 20)]
fn encode_10k_jobs_into_reused_buffer(bencher: divan::Bencher) {
    let (state, ty) = &*STATE;
    let mut buffer = Vec::with_capacity(8 << 20);
    bencher.bench_local(|| {
        buffer.clear();
        cty::encode_into(divan::black_box(state), ty, &mut buffer).expect("encodes");
        buffer.len()
    });
}

#[divan::bench(sample_count = 20)]
fn decode_10k_jobs(bencher: divan::Bencher) {
    let (state, ty) = &*STATE;
    let bytes = cty::encode(state, ty).expect("encodes");
    bencher.bench(|| cty::decode(divan::black_box(&bytes), ty).expect("decodes"));
}
