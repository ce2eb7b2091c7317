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
package drift
