package fleet_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/app/fleet/hub"
)

// writeCert writes a PEM certificate and key signed by parent (self-signed
// when parent is nil) and returns them with the paths.
func writeCert(t *testing.T, dir, name string, isCA bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:        isCA, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kd, _ := x509.MarshalECPrivateKey(key)
	cp, kp := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	if err := os.WriteFile(cp, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kp, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key, cp, kp
}

// A desk joins with an nkey seed file over mutual TLS, as --fleet-nkey,
// --fleet-ca, --fleet-cert and --fleet-key say; without the client
// certificate, or with the wrong CA, it is refused.
func TestNKeyOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey, caPath, _ := writeCert(t, dir, "ca", true, nil, nil)
	_, _, srvCert, srvKey := writeCert(t, dir, "hub", false, ca, caKey)
	_, _, cliCert, cliKey := writeCert(t, dir, "desk", false, ca, caKey)
	_, _, otherCA, _ := writeCert(t, dir, "other-ca", true, nil, nil)

	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := user.Seed()
	pub, _ := user.PublicKey()
	seedPath := filepath.Join(dir, "studio.nk")
	if err := os.WriteFile(seedPath, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	port := fleettest.FreePort(t)
	h, err := hub.Start(hub.Config{
		Listen: fmt.Sprintf("127.0.0.1:%d", port), Store: filepath.Join(dir, "store"),
		TLS:     &hub.TLSConfig{Cert: srvCert, Key: srvKey, CA: caPath},
		Agency:  hub.User{User: "agency", Password: "a"},
		Studios: []hub.StudioUser{{ID: "s1", User: hub.User{NKey: pub}}},
	}, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	<-h.Ready()

	good := fleet.Config{URL: fmt.Sprintf("tls://127.0.0.1:%d", port), Studio: "s1", NKeyFile: seedPath, CAFile: caPath, CertFile: cliCert, KeyFile: cliKey}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	nc, js, err := good.Connect()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !nc.IsConnected() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.Publish(ctx, fleet.Studio{ID: "s1"}.LogSubject("run"), []byte("{}")); err != nil {
		t.Fatalf("nkey over mutual TLS: %v", err)
	}
	nc.Close()

	for name, bad := range map[string]fleet.Config{
		"no client certificate": {URL: good.URL, Studio: "s1", NKeyFile: seedPath, CAFile: caPath},
		"another CA":            {URL: good.URL, Studio: "s1", NKeyFile: seedPath, CAFile: otherCA, CertFile: cliCert, KeyFile: cliKey},
	} {
		opts, err := bad.Options()
		if err != nil {
			t.Fatal(err)
		}
		// A single attempt, so the refusal is visible as an error.
		nc, err := natsConnectOnce(bad.URL, opts)
		if err == nil {
			nc.Close()
			t.Errorf("%s: connected", name)
		} else if !strings.Contains(strings.ToLower(err.Error()), "tls") && !strings.Contains(strings.ToLower(err.Error()), "certificate") && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
			t.Logf("%s: refused with %v", name, err)
		}
	}
}
