package pin

import (
	"encoding/json"
	"testing"
)

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		in      string
		want    Policy
		wantErr bool
	}{
		{"try", LockTry, false},
		{"require", LockRequire, false},
		{"off", LockOff, false},
		{"REQUIRE", LockRequire, false},
		{"Off", LockOff, false},
		{"", 0, true},
		{"on", 0, true},
		{"required", 0, true},
		{" try", 0, true},
		{"best-effort", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePolicy(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParsePolicy(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got != tt.want {
				t.Fatalf("ParsePolicy(%q) = %v, want %v", tt.in, got, tt.want)
			}
			if back, _ := ParsePolicy(got.String()); back != got {
				t.Fatalf("round trip of %v gave %v", got, back)
			}
		})
	}
}

func TestPolicyString(t *testing.T) {
	tests := []struct {
		p    Policy
		want string
	}{
		{LockTry, "try"},
		{LockRequire, "require"},
		{LockOff, "off"},
		{Policy(7), "Policy(7)"},
		{Policy(-1), "Policy(-1)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
		})
	}
	var zero Options
	if zero.Policy != LockTry {
		t.Fatalf("zero Options.Policy = %v, want try", zero.Policy)
	}
}

func TestPolicyTextAndFlag(t *testing.T) {
	b, err := json.Marshal(struct{ Lock Policy }{LockRequire})
	if err != nil || string(b) != `{"Lock":"require"}` {
		t.Fatalf("json.Marshal = %s, %v", b, err)
	}
	var v struct{ Lock Policy }
	if err := json.Unmarshal([]byte(`{"Lock":"off"}`), &v); err != nil || v.Lock != LockOff {
		t.Fatalf("json.Unmarshal = %v, %v", v.Lock, err)
	}
	if err := json.Unmarshal([]byte(`{"Lock":"maybe"}`), &v); err == nil {
		t.Fatal("json.Unmarshal of an unknown policy succeeded")
	}
	if _, err := Policy(9).MarshalText(); err == nil {
		t.Fatal("MarshalText of Policy(9) succeeded")
	}
	p := LockOff
	if err := p.Set("try"); err != nil || p != LockTry {
		t.Fatalf("Set(try) = %v, %v", p, err)
	}
	if err := p.Set("bogus"); err == nil || p != LockTry {
		t.Fatalf("Set(bogus) = %v, %v; want an error and no change", p, err)
	}
	if p.Type() != "policy" {
		t.Fatalf("Type() = %q", p.Type())
	}
}
