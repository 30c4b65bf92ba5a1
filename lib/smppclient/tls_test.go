package smppclient_test

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"msyshost/lib/smpp"
	"msyshost/lib/smppclient"
	"msyshost/lib/smsc"
	"msyshost/lib/tlstest"
)

func TestBindOverTLS(t *testing.T) {
	sc := tlstest.New(t, "127.0.0.1")
	cert, pool := sc.TLS, sc.Pool
	sim := smsc.New(smsc.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, nil)
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := smppclient.New(smppclient.Settings{Name: "tls", Addr: sim.Addr(), SystemID: "esme",
		TLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}, nil, nil)
	c.Start(ctx)
	defer c.Stop(context.Background())
	if err := c.WaitBound(ctx, 1); err != nil {
		t.Fatal(err)
	}
	id, err := c.Submit(ctx, &smpp.SM{ID: smpp.SubmitSM, DestinationAddr: "15551234", ShortMessage: []byte("over TLS")})
	if err != nil || id == "" {
		t.Fatalf("Submit = %q, %v", id, err)
	}
	// A client that does not trust the certificate never binds.
	bad := smppclient.New(smppclient.Settings{Name: "untrusted", Addr: sim.Addr(), TLS: &tls.Config{ServerName: "127.0.0.1"}}, nil, nil)
	bad.Start(ctx)
	defer bad.Stop(context.Background())
	short, cancel2 := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel2()
	if err := bad.WaitBound(short, 1); err == nil {
		t.Fatal("bound to an untrusted SMSC")
	}
	waitFor(t, func() bool { return strings.Contains(bad.Statuses()[0].LastError, "TLS handshake") })
}
