package hook

import "testing"

func TestCatalogKnowsTheDocumentedFamilies(t *testing.T) {
	for _, name := range []string{
		"init", "deinit", "rsrc_setup",
		"validate_connect", "validate_rcptto", "validate_data_spool_each_rcpt", "validate_set_binding", "validate_dealloc",
		"core_final_validation", "core_post_final_validation", "core_config_get_message_routing_domain",
		"generic_delivery_msg_dispose", "http_request_eval", "ac_auth_perform_auth", "outbound_smtp_auth_config",
		"smpp_store_submit", "smpp_handle_DR_negative", "smpp_log_delivery", "smpp_MO_pdu_eval", "smpp_MT_pre_conversion",
		"mm7_store_submit_hook", "mm7_handle_DR_positive", "mms_log_bounce_transient", "mm7_request_eval",
		"core_log_delivery_v1", "msg_gen_data_spool", "seedlist_generate_seed",
	} {
		if _, ok := Lookup(name); !ok {
			t.Errorf("%s is not in the catalog", name)
		}
	}
	if len(All()) < 200 {
		t.Errorf("catalog has %d hooks", len(All()))
	}
}

func TestArgumentLists(t *testing.T) {
	for name, want := range map[string]string{
		"validate_rcptto":                        "validate_rcptto(msg, str, accept, vctx)",
		"validate_connect":                       "validate_connect(accept, vctx)",
		"mm7_handle_DR_negative":                 "mm7_handle_DR_negative(trx, bucket, msgid)",
		"smpp_handle_DR_positive":                "smpp_handle_DR_positive(bucket, msgid)",
		"core_config_get_message_routing_domain": "core_config_get_message_routing_domain(scope, msg, buff)",
		"core_log_delivery_v1":                   "core_log_delivery_v1(msg, dr, now, note)",
		"init":                                   "init()",
	} {
		s, _ := Lookup(name)
		if got := s.Signature(); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	if s, _ := Lookup("smpp_log_permfail"); s.Returns != ReturnsNone {
		t.Errorf("log hooks return nothing: %v", s.Returns)
	}
	if s, _ := Lookup("init"); s.Returns != ReturnsTrue {
		t.Errorf("init must return true: %v", s.Returns)
	}
}

func TestSuggest(t *testing.T) {
	for typo, want := range map[string]string{
		"validate_rcpt_to":        "validate_rcptto",
		"Validate_Data":           "validate_data",
		"smpp_handle_dr_negative": "smpp_handle_DR_negative",
		"validate_mailfom":        "validate_mailfrom",
		"validate_dataspool":      "validate_data_spool",
		"helper":                  "",
		"init":                    "",
		"my_private_function":     "",
		"ini":                     "init",
	} {
		if got := Suggest(typo); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", typo, got, want)
		}
	}
}

func TestCalledByRejectsUnknownHooks(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("an unknown hook must panic")
		}
	}()
	CalledBy("test", "validate_nothing")
}

func TestCodeName(t *testing.T) {
	for _, c := range []struct {
		hook string
		code int
		want string
	}{
		{"smpp_handle_DR_negative", 3, "SMPP_DELIVERED"}, {"smpp_handle_DR_positive", 0, "SMPP_CONTINUE"},
		{"mm7_handle_DR_negative", 3, "MM7_DELIVERED"}, {"smpp_store_submit", 1, "MSTORE_DONE"},
		{"mm7_store_submit_hook", 0, "MSTORE_CONTINUE"}, {"validate_rcptto", 1, "VALIDATE_DONE"},
		{"core_final_validation", 2, "VALIDATE_AGAIN"}, {"smpp_handle_DR_negative", 7, ""}, {"init", 0, ""},
	} {
		if got := CodeName(c.hook, c.code); got != c.want {
			t.Errorf("CodeName(%s, %d) = %q, want %q", c.hook, c.code, got, c.want)
		}
	}
}
