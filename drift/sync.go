package drift

import (
	"crypto/sha1" // git object ids are SHA-1: an id, not a security check
	"encoding/hex"
	"strconv"
)

// State is the sync state of an app's manifest.
type State string

// The four sync states.
const (
	InSync    State = "in_sync"
	Drafts    State = "drafts"
	RepoAhead State = "repo_ahead"
	Diverged  State = "diverged"
)

// Draft is a staged manifest edit.
type Draft struct {
	// BaseBlob is the repository blob the draft was made from.
	BaseBlob string
	// Blob is the git blob id of the draft's own text (see BlobID).
	Blob string
	// PR is the state of the pull request carrying the draft: "" (none),
	// "open", "merged" or "closed".
	PR string
}

// Input is what the sync state depends on.
type Input struct {
	// SnapshotBlob is the blob id of the manifest the platform deploys from.
	SnapshotBlob string
	// Draft is nil when there is none.
	Draft *Draft
	// RepoBlob is the manifest's blob id at the head of the deploy branch;
	// "" when the repository has not been read yet (the state then assumes
	// it has not moved).
	RepoBlob string
}

// Result is the sync state and what the caller should do about the draft.
type Result struct {
	State State
	// DraftLanded: the repository holds exactly the draft's text; the
	// draft can be dropped.
	DraftLanded bool
	// PROpen: the draft is waiting in an open pull request (shown with the
	// state; a diverged draft with an open PR needs its PR updated).
	PROpen bool
}

// Sync computes the sync state.
func Sync(in Input) Result {
	repo := in.RepoBlob
	d := in.Draft
	if d != nil && repo != "" && repo == d.Blob && d.Blob != d.BaseBlob {
		res := Sync(Input{SnapshotBlob: in.SnapshotBlob, RepoBlob: repo})
		res.DraftLanded = true
		return res
	}
	if d == nil {
		if repo == "" || repo == in.SnapshotBlob {
			return Result{State: InSync}
		}
		return Result{State: RepoAhead}
	}
	res := Result{State: Drafts, PROpen: d.PR == "open"}
	if repo != "" && repo != d.BaseBlob {
		res.State = Diverged
	}
	return res
}

// BlobID is the git blob id (SHA-1 of "blob <size>\x00" + content) of a
// manifest text, so drafts can be compared with blobs read from git.
func BlobID(content []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}
