// Command controlplane runs a local Kubernetes control plane (etcd and
// kube-apiserver built from source by hack/tool.sh) for `make run`, the e2e
// tests and `make bench`. It installs the CRDs, writes an admin kubeconfig and
// runs until SIGINT or SIGTERM, then stops both processes and removes their
// data, leaving nothing behind.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

func main() {
	assets := flag.String("assets", "bin/k8s", "directory holding kube-apiserver, etcd and kubectl")
	crds := flag.String("crds", "config/crd/bases", "directory of CRD manifests to install")
	kubeconfig := flag.String("write-kubeconfig", ".local/kubeconfig", "where to write the admin kubeconfig")
	namespace := flag.String("namespace", "", "default namespace of the kubeconfig's context")
	flag.Parse()

	if err := run(*assets, *crds, *kubeconfig, *namespace); err != nil {
		fmt.Fprintln(os.Stderr, "controlplane:", err)
		os.Exit(1)
	}
}

func run(assets, crds, kubeconfig, namespace string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{crds},
		ErrorIfCRDPathMissing: true,
	}
	if _, err := env.Start(); err != nil {
		return fmt.Errorf("starting etcd and kube-apiserver from %s: %w", assets, err)
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "controlplane: stopping:", err)
		}
	}()

	user, err := env.AddUser(envtest.User{Name: "inkasso-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("creating admin user: %w", err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("rendering kubeconfig: %w", err)
	}
	if namespace != "" {
		if data, err = withNamespace(data, namespace); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(kubeconfig), 0o755); err != nil {
		return fmt.Errorf("creating kubeconfig directory: %w", err)
	}
	// Write then rename so that a watcher never reads half a file.
	tmp := kubeconfig + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	if err := os.Rename(tmp, kubeconfig); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	defer os.Remove(kubeconfig)
	fmt.Printf("control plane ready at %s; kubeconfig %s\n", env.Config.Host, kubeconfig)

	<-ctx.Done()
	fmt.Println("control plane stopping")
	return nil
}

// withNamespace sets the default namespace of the kubeconfig's current context.
func withNamespace(data []byte, namespace string) ([]byte, error) {
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	if ctx, ok := cfg.Contexts[cfg.CurrentContext]; ok {
		ctx.Namespace = namespace
	}
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("writing kubeconfig: %w", err)
	}
	return out, nil
}
