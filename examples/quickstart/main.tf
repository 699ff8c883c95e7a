# The quick start: reads every restore job from the DBS endpoint in the
# environment (the bundled emulator, when run through scripts/demo.sh).
terraform {
  required_providers {
    dbs = {
      source = "example/dbs"
    }
  }
}

provider "dbs" {}

data "dbs_restore_tasks" "all" {
  output_file = "${path.module}/restore-tasks.json"
}

data "dbs_restore_tasks" "failed" {
  status = "stop"
}

output "total" {
  value = data.dbs_restore_tasks.all.total_count
}

output "by_status" {
  value = {
    for s in distinct([for t in data.dbs_restore_tasks.all.tasks : t.status]) :
    s => length([for t in data.dbs_restore_tasks.all.tasks : t if t.status == s])
  }
}

output "failed" {
  value = [
    for t in data.dbs_restore_tasks.failed.tasks : {
      id            = t.id
      name          = t.name
      backup_plan   = t.backup_plan_id
      finished      = t.finish_time
      error_message = t.error_message
    }
  ]
}
