# Every restore job of one backup plan that stopped, i.e. failed.
data "dbs_restore_tasks" "failed" {
  backup_plan_id = "dbs1hvb0wXXXX"
  status         = "stop"
}

output "failed_restores" {
  value = {
    for t in data.dbs_restore_tasks.failed.tasks : t.name => t.error_message
  }
}

# Jobs created in a time window whose names match a pattern, also written to a file.
data "dbs_restore_tasks" "nightly" {
  start_time  = "2026-11-01T00:00:00Z"
  end_time    = "2026-12-01T00:00:00Z"
  name_regex  = "^nightly-"
  output_file = "${path.module}/nightly-restores.json"
}

# Specific jobs by ID.
data "dbs_restore_tasks" "by_id" {
  ids = ["r1hvb0wXXXX1", "r1hvb0wXXXX2"]
}
