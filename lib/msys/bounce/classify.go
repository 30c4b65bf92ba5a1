package bounce

import (
	"regexp"
	"strings"
)

// Class is a bounce classification: Momentum's numeric code (log formats
// appendix, "bounce classification codes"), its name and description.
type Class struct {
	Code        int
	Name        string
	Description string
}

// The classes Momentum logs.
var (
	Undetermined     = Class{1, "Undetermined", "The response text could not be identified."}
	InvalidRecipient = Class{10, "Invalid Recipient", "The recipient is invalid."}
	SoftBounce       = Class{20, "Soft Bounce", "The message soft bounced."}
	DNSFailure       = Class{21, "DNS Failure", "The message bounced due to a DNS failure."}
	MailboxFull      = Class{22, "Mailbox Full", "The message bounced due to the remote mailbox being over quota."}
	TooLarge         = Class{23, "Too Large", "The message bounced because it was too large for the recipient."}
	Timeout          = Class{24, "Timeout", "The message timed out."}
	AdminFailure     = Class{25, "Admin Failure", "The message was failed by the configured policies."}
	NoRcpt           = Class{30, "Generic Bounce: No RCPT", "No recipient could be determined for the message."}
	Generic          = Class{40, "Generic Bounce", "The message failed for unspecified reasons."}
	MailBlock        = Class{50, "Mail Block", "The message was blocked by the receiver."}
	SpamBlock        = Class{51, "Spam Block", "The message was blocked by the receiver as coming from a known spam source."}
	SpamContent      = Class{52, "Spam Content", "The message was blocked by the receiver as spam."}
	Attachment       = Class{53, "Prohibited Attachment", "The message was blocked by the receiver because it contained an attachment."}
	RelayDenied      = Class{54, "Relay Denied", "The message was blocked by the receiver because relaying is not allowed."}
	AutoReply        = Class{60, "Auto-Reply", "The message is an auto-reply/vacation mail."}
	Transient        = Class{70, "Transient Failure", "Message transmission has been temporarily delayed."}
	Subscribe        = Class{80, "Subscribe", "The message is a subscribe request."}
	Unsubscribe      = Class{90, "Unsubscribe", "The message is an unsubscribe request."}
	ChallengeResp    = Class{100, "Challenge-Response", "The message is a challenge-response probe."}
)

// rules are tried in order on the response text (lower case); the first
// that matches decides. They read RFC 3463 enhanced status codes where the
// text has one, and the wording receivers commonly use.
var rules = []struct {
	re *regexp.Regexp
	c  Class
}{
	{regexp.MustCompile(`\b5\.7\.1\b.*\brelay|relay(ing)? (access )?(denied|not permitted|prohibited)|unable to relay|we do not relay`), RelayDenied},
	{regexp.MustCompile(`\b[45]\.2\.2\b|mailbox (is )?full|over ?quota|quota exceeded|exceeded (the )?storage|insufficient (system )?storage`), MailboxFull},
	{regexp.MustCompile(`\b[45]\.(3\.4|2\.3)\b|too (large|big)|size limit|exceeds (the )?(maximum )?(message )?size`), TooLarge},
	{regexp.MustCompile(`spamhaus|spamcop|barracuda|blacklist|blocklist|block list|black list|listed (on|in|at)|\brbl\b|\bdnsbl\b|poor reputation|ip reputation`), SpamBlock},
	{regexp.MustCompile(`attachment|\.exe\b|file type`), Attachment},
	{regexp.MustCompile(`spam|junk mail|content (rejected|filter)|message content|looks like unsolicited|bulk mail`), SpamContent},
	{regexp.MustCompile(`\b5\.1\.[0-36]\b|user unknown|unknown user|no such (user|mailbox|recipient|address)|(mailbox|recipient|address|account) (does not exist|unknown|not found|unavailable|disabled|invalid)|invalid (recipient|mailbox|address)|not a valid (mailbox|recipient)|no longer (used|valid|active|available)|doesn't have a .* account|undeliverable address`), InvalidRecipient},
	{regexp.MustCompile(`\b[45]\.1\.2\b|\b[45]\.4\.4\b|host not found|domain not found|no such domain|unrouteable|unroutable|name server|\bdns\b|\bmx\b.*(not found|lookup)|no mail hosts|domain (does not exist|is not found)`), DNSFailure},
	{regexp.MustCompile(`\b[45]\.4\.[27]\b|timed? ?out|time-out|expired|too long in queue`), Timeout},
	{regexp.MustCompile(`\b5\.7\.\d+\b|blocked|denied|rejected|refused|not authori[sz]ed|access denied|administrative prohibition|policy`), MailBlock},
	{regexp.MustCompile(`greylist|graylist|try (again )?later|temporar|deferred|too many (connections|messages)|rate limit|throttl`), Transient},
}

var codeRE = regexp.MustCompile(`^\s*([245])\d\d\b|\b([245])\.\d{1,3}\.\d{1,3}\b`)

// SMTPResponse classifies an SMTP reply or a DSN's diagnostic text.
func SMTPResponse(text string) Class {
	t := strings.ToLower(text)
	for _, r := range rules {
		if r.re.MatchString(t) {
			return r.c
		}
	}
	if m := codeRE.FindStringSubmatch(t); m != nil {
		switch m[1] + m[2] {
		case "4":
			return SoftBounce
		case "5":
			return Generic
		}
	}
	return Undetermined
}
