// Package drift says how the platform's copy of an app's manifest relates to
// the repository (the sync state), as a pure function. Live drift of the
// cluster against the desired objects (an SSA dry-run diff) joins it with
// the deployer.
//
// The sync state, from DESIGN.md:
//
//	state       draft     repo blob at head vs base
//	in_sync     none      equal to the snapshot
//	drafts      present   equal to the draft's base
//	repo_ahead  none      differs from the snapshot
//	diverged    present   differs from the draft's base
//
// A draft whose own content is what the repository now holds has landed
// (its pull request merged, or someone pushed the same text): the caller
// clears it, and the state is computed as if there were no draft.
//
// Live drift (Detect) compares the objects of an environment's last
// deployment with the cluster through a server-side apply dry run
// (ssa.ResourceManager.Diff): an object is missing, or fields differ from
// what applying would set. Each drifted field is named by its JSON pointer
// with the live and desired values (never for Secrets) and the field
// managers that own it on the live object (who changed it, from
// managedFields). Detect only reads; correcting drift (self-heal) is the
// reconciler's job.
package drift
