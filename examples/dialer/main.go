// Command dialer is an example out-of-tree channel controller, built only on
// the operator's public packages (api/v1alpha1 and pkg/channelkit): it hands
// each phone notice of a NoticeChannel with controllerName
// example.com/dialer to a call centre's dialer API as a call task.
//
//	go run . --dialer-url=https://dialer.example.com/v1/calls
package main

import (
	"flag"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

func main() {
	url := flag.String("dialer-url", "", "URL the call tasks are POSTed to")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("dialer")

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(inkassov1.AddToScheme(scheme))
	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{Scheme: scheme})
	if err != nil {
		log.Error(err, "creating manager")
		os.Exit(1)
	}
	if err := Setup(mgr, Dialer{URL: *url}, channelkit.Controller{}); err != nil {
		log.Error(err, "setting up")
		os.Exit(1)
	}
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "manager stopped")
		os.Exit(1)
	}
}
