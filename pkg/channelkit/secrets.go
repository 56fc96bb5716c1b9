package channelkit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// SecretChannelsAnnotation on a Secret lists, comma-separated, the
// NoticeChannels of its namespace that may use it (spec.secretRef). The
// manager can read Secrets that the author of a NoticeChannel may not: were
// any Secret usable, whoever writes a channel could send another team's SMTP
// password to a host of their choosing. The annotation is written by
// whoever owns the Secret, and so is their consent.
const SecretChannelsAnnotation = "collection.inkasso.dev/notice-channels"

// ReasonSecretNotAllowed is the channel's Ready reason while its Secret
// does not name it.
const ReasonSecretNotAllowed = "SecretNotAllowed"

// ErrSecretNotAllowed is returned by ChannelSecret for a Secret whose
// annotation does not name the channel. It is retried, not permanent: the
// Secret's owner may annotate it; meanwhile the channel shows Ready False.
var ErrSecretNotAllowed = errors.New("secret not allowed for this channel")

// ChannelSecret reads the Secret named by ch.spec.secretRef, in ch's
// namespace only, and returns it if its SecretChannelsAnnotation names ch.
// A missing Secret is retried (it may be applied after the channel).
func ChannelSecret(ctx context.Context, r client.Reader, ch *inkassov1.NoticeChannel) (*corev1.Secret, error) {
	if ch.Spec.SecretRef == nil {
		return nil, nil
	}
	name := ch.Spec.SecretRef.Name
	var s corev1.Secret
	err := r.Get(ctx, types.NamespacedName{Namespace: ch.Namespace, Name: name}, &s)
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("secret %q named by spec.secretRef of channel %s does not exist in namespace %s", name, ch.Name, ch.Namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("reading secret %q of channel %s: %w", name, ch.Name, err)
	}
	if !SecretAllows(&s, ch.Name) {
		return nil, fmt.Errorf("%w: secret %q does not list channel %s in its annotation %s (add it: %s: %s)",
			ErrSecretNotAllowed, name, ch.Name, SecretChannelsAnnotation, SecretChannelsAnnotation, ch.Name)
	}
	return &s, nil
}

// SecretAllows reports whether s's annotation names channel.
func SecretAllows(s *corev1.Secret, channel string) bool {
	list := strings.Split(s.Annotations[SecretChannelsAnnotation], ",")
	for i := range list {
		list[i] = strings.TrimSpace(list[i])
	}
	return slices.Contains(list, channel)
}
