package deploy

import (
	"encoding/json"
	"fmt"
	"time"
)

// Names of the state objects, under the environment's prefix.
const (
	ManifestKey = StateDir + "manifest.json"
	PendingKey  = StateDir + "pending.json"
	LockKey     = StateDir + "lock.json"
)

// Manifest is what the last complete sync of an environment published. It
// is written after the uploads and deletes, so it never claims an object
// that is not in the bucket.
type Manifest struct {
	Version int `json:"version"`
	// Commit is the git commit of the sources deployed, and Dirty says
	// whether they had uncommitted changes (--allow-dirty).
	Commit string    `json:"commit,omitempty"`
	Dirty  bool      `json:"dirty,omitempty"`
	Synced time.Time `json:"synced"`
	// Objects are the published objects by output path (relative to the
	// prefix).
	Objects map[string]Entry `json:"objects"`
	// Invalidated counts the invalidation paths qdn asked for in a month,
	// for the cost estimate.
	Invalidated MonthCount `json:"invalidated"`
}

// Entry records one published object.
type Entry struct {
	// Hash is the hex SHA-256 of the bytes.
	Hash string `json:"sha256"`
	// Headers is the Fingerprint of Content-Type and Cache-Control.
	Headers string `json:"headers"`
	// Size and ETag are as S3 lists the object, so that a change made in the
	// bucket by something else than qdn is seen and undone.
	Size int64  `json:"size"`
	ETag string `json:"etag"`
}

// MonthCount is a number of invalidation paths in a month (YYYY-MM, UTC).
type MonthCount struct {
	Month string `json:"month,omitempty"`
	Paths int    `json:"paths,omitempty"`
}

const manifestVersion = 1

func decodeManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read %s: %w", ManifestKey, err)
	}
	if m.Version != manifestVersion {
		return nil, fmt.Errorf("read %s: version %d, this qdn knows version %d", ManifestKey, m.Version, manifestVersion)
	}
	if m.Objects == nil {
		m.Objects = map[string]Entry{}
	}
	return &m, nil
}

// Pending is the invalidation a sync recorded before its first upload; it
// is removed once CloudFront accepted it.
type Pending struct {
	// ID names the deploy the paths belong to; with the paths it makes the
	// invalidation's CallerReference, so that a retried request for the
	// same deploy is not billed twice.
	ID    string    `json:"id"`
	Since time.Time `json:"since"`
	// Paths are exact viewer URIs, before any collapse.
	Paths []string `json:"paths"`
}

func decodePending(b []byte) (*Pending, error) {
	var p Pending
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("read %s: %w", PendingKey, err)
	}
	return &p, nil
}
