// Package notice names and renders the Notices the operator hands to channel
// controllers.
package notice

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Name is the deterministic name of the Notice for one (case, step, channel):
// a restart recomputes the same name, so creating it again can never send
// twice. The readable prefix is cut to fit; the hash keeps names unique.
func Name(caseID, step, channel string) string {
	sum := sha256.Sum256([]byte(caseID + "\x00" + step + "\x00" + channel))
	hash := hex.EncodeToString(sum[:])[:10]
	prefix := strings.Trim(caseID+"-"+step+"-"+channel, "-.")
	const max = 253 - 11
	if len(prefix) > max {
		prefix = strings.TrimRight(prefix[:max], "-.")
	}
	return prefix + "-" + hash
}
