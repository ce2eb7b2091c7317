// Package livestate is the live state of an app's workloads in one
// environment, as the reconciler's watch computes it from the objects
// Astrolift applied (Deployments, StatefulSets, CronJobs with their Jobs
// and Pods, HPAs) and as the API serves it.
//
// Compute is pure: typed objects in, a State out. Status follows kstatus:
// Current is running, InProgress provisioning, Failed failed, anything
// else unknown. A CronJob is running while scheduled, failed when its
// last run failed; its last 10 runs carry status and exit code.
package livestate
