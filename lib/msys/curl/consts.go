package curl

import "strconv"

// Option numbers are libcurl's CURLOPT_* values (curl/curl.h: a type base
// of 0 for long, 10000 for pointers, 20000 for functions, 30000 for
// curl_off_t, plus the option's number), exported as curl.OPT_*.
const (
	optLong     = 0
	optObject   = 10000
	optFunction = 20000
	optOffT     = 30000
)

// kind is how setopt reads an option's value.
type kind int

const (
	kString kind = iota // a string, or nil to clear
	kList               // strings (several arguments or a table), or nil
	kNumber
	kBool     // true or false only
	kFunction // a Lua function
	kData     // any value, passed to a callback
	kUnsupported
)

type option struct {
	name string
	num  int
	kind kind
}

// options lists every option of the curl.OPT_* table. kUnsupported ones
// exist so scripts that only mention them load; setting one raises an
// error naming it, since msyshost speaks HTTP and HTTPS only.
var options = []option{
	{"WRITEDATA", optObject + 1, kData},
	{"URL", optObject + 2, kString},
	{"PORT", optLong + 3, kNumber},
	{"PROXY", optObject + 4, kString},
	{"USERPWD", optObject + 5, kString},
	{"PROXYUSERPWD", optObject + 6, kString},
	{"RANGE", optObject + 7, kString},
	{"READDATA", optObject + 9, kData},
	{"WRITEFUNCTION", optFunction + 11, kFunction},
	{"READFUNCTION", optFunction + 12, kFunction},
	{"TIMEOUT", optLong + 13, kNumber},
	{"INFILESIZE", optLong + 14, kNumber},
	{"POSTFIELDS", optObject + 15, kString},
	{"REFERER", optObject + 16, kString},
	{"FTPPORT", optObject + 17, kUnsupported},
	{"USERAGENT", optObject + 18, kString},
	{"LOW_SPEED_LIMIT", optLong + 19, kNumber},
	{"LOW_SPEED_TIME", optLong + 20, kNumber},
	{"RESUME_FROM", optLong + 21, kNumber},
	{"COOKIE", optObject + 22, kString},
	{"HTTPHEADER", optObject + 23, kList},
	{"HTTPPOST", optObject + 24, kUnsupported},
	{"SSLCERT", optObject + 25, kString},
	{"SSLKEYPASSWD", optObject + 26, kString},
	{"CRLF", optLong + 27, kBool},
	{"QUOTE", optObject + 28, kUnsupported},
	{"HEADERDATA", optObject + 29, kData},
	{"COOKIEFILE", optObject + 31, kString},
	{"SSLVERSION", optLong + 32, kNumber},
	{"TIMECONDITION", optLong + 33, kNumber},
	{"TIMEVALUE", optLong + 34, kNumber},
	{"CUSTOMREQUEST", optObject + 36, kString},
	{"POSTQUOTE", optObject + 39, kUnsupported},
	{"WRITEINFO", optObject + 40, kString},
	{"VERBOSE", optLong + 41, kBool},
	{"HEADER", optLong + 42, kBool},
	{"NOPROGRESS", optLong + 43, kBool},
	{"NOBODY", optLong + 44, kBool},
	{"FAILONERROR", optLong + 45, kBool},
	{"UPLOAD", optLong + 46, kBool},
	{"POST", optLong + 47, kBool},
	{"FTPLISTONLY", optLong + 48, kUnsupported},
	{"FTPAPPEND", optLong + 50, kUnsupported},
	{"NETRC", optLong + 51, kUnsupported},
	{"FOLLOWLOCATION", optLong + 52, kBool},
	{"TRANSFERTEXT", optLong + 53, kBool},
	{"PUT", optLong + 54, kBool},
	{"PROGRESSFUNCTION", optFunction + 56, kFunction},
	{"PROGRESSDATA", optObject + 57, kData},
	{"AUTOREFERER", optLong + 58, kBool},
	{"PROXYPORT", optLong + 59, kNumber},
	{"POSTFIELDSIZE", optLong + 60, kNumber},
	{"HTTPPROXYTUNNEL", optLong + 61, kBool},
	{"INTERFACE", optObject + 62, kString},
	{"KRB4LEVEL", optObject + 63, kUnsupported},
	{"SSL_VERIFYPEER", optLong + 64, kBool},
	{"CAINFO", optObject + 65, kString},
	{"MAXREDIRS", optLong + 68, kNumber},
	{"FILETIME", optLong + 69, kBool},
	{"TELNETOPTIONS", optObject + 70, kUnsupported},
	{"MAXCONNECTS", optLong + 71, kNumber},
	{"CLOSEPOLICY", optLong + 72, kNumber},
	{"FRESH_CONNECT", optLong + 74, kBool},
	{"FORBID_REUSE", optLong + 75, kBool},
	{"RANDOM_FILE", optObject + 76, kString},
	{"EGDSOCKET", optObject + 77, kString},
	{"CONNECTTIMEOUT", optLong + 78, kNumber},
	{"HEADERFUNCTION", optFunction + 79, kFunction},
	{"HTTPGET", optLong + 80, kBool},
	{"SSL_VERIFYHOST", optLong + 81, kNumber},
	{"COOKIEJAR", optObject + 82, kUnsupported},
	{"SSL_CIPHER_LIST", optObject + 83, kString},
	{"HTTP_VERSION", optLong + 84, kNumber},
	{"FTP_USE_EPSV", optLong + 85, kUnsupported},
	{"SSLCERTTYPE", optObject + 86, kString},
	{"SSLKEY", optObject + 87, kString},
	{"SSLKEYTYPE", optObject + 88, kString},
	{"SSLENGINE", optObject + 89, kUnsupported},
	{"SSLENGINE_DEFAULT", optLong + 90, kBool},
	{"DNS_USE_GLOBAL_CACHE", optLong + 91, kBool},
	{"DNS_CACHE_TIMEOUT", optLong + 92, kNumber},
	{"PREQUOTE", optObject + 93, kUnsupported},
	{"COOKIESESSION", optLong + 96, kBool},
	{"CAPATH", optObject + 97, kString},
	{"BUFFERSIZE", optLong + 98, kNumber},
	{"NOSIGNAL", optLong + 99, kBool},
	{"PROXYTYPE", optLong + 101, kNumber},
	{"ENCODING", optObject + 102, kString},
	{"HTTP200ALIASES", optObject + 104, kUnsupported},
	{"UNRESTRICTED_AUTH", optLong + 105, kBool},
	{"FTP_USE_EPRT", optLong + 106, kUnsupported},
	{"HTTPAUTH", optLong + 107, kNumber},
	{"FTP_CREATE_MISSING_DIRS", optLong + 110, kUnsupported},
	{"PROXYAUTH", optLong + 111, kNumber},
	{"FTP_RESPONSE_TIMEOUT", optLong + 112, kUnsupported},
	{"IPRESOLVE", optLong + 113, kNumber},
	{"MAXFILESIZE", optLong + 114, kNumber},
	{"INFILESIZE_LARGE", optOffT + 115, kNumber},
	{"RESUME_FROM_LARGE", optOffT + 116, kNumber},
	{"MAXFILESIZE_LARGE", optOffT + 117, kNumber},
	{"NETRC_FILE", optObject + 118, kUnsupported},
	{"FTP_SSL", optLong + 119, kUnsupported},
	{"POSTFIELDSIZE_LARGE", optOffT + 120, kNumber},
	{"TCP_NODELAY", optLong + 121, kBool},
	{"SOURCE_USERPWD", optObject + 123, kUnsupported},
	{"SOURCE_PREQUOTE", optObject + 127, kUnsupported},
	{"SOURCE_POSTQUOTE", optObject + 128, kUnsupported},
	{"FTPSSLAUTH", optLong + 129, kUnsupported},
	{"IOCTLFUNCTION", optFunction + 130, kFunction},
	{"IOCTLDATA", optObject + 131, kData},
	{"SOURCE_URL", optObject + 132, kUnsupported},
	{"SOURCE_QUOTE", optObject + 133, kUnsupported},
	{"FTP_ACCOUNT", optObject + 134, kUnsupported},
	{"SEEKFUNCTION", optFunction + 167, kFunction},
	{"SEEKDATA", optObject + 168, kData},
}

// optionByNum indexes options by number; SSLCERTPASSWD shares 10026.
var optionByNum = func() map[int]option {
	m := map[int]option{}
	for _, o := range options {
		m[o.num] = o
	}
	return m
}()

// Error codes (CURLcode), as curl.E_* and, as luacurl names them, bare.
const (
	EOK                   = 0
	EUnsupportedProtocol  = 1
	EURLMalformat         = 3
	ECouldntResolveProxy  = 5
	ECouldntResolveHost   = 6
	ECouldntConnect       = 7
	EPartialFile          = 18
	EHTTPReturnedError    = 22
	EWriteError           = 23
	EReadError            = 26
	EOperationTimedout    = 28
	ESSLConnectError      = 35
	EAbortedByCallback    = 42
	EBadFunctionArgument  = 43
	EInterfaceFailed      = 45
	ETooManyRedirects     = 47
	ESSLPeerCertificate   = 51
	EGotNothing           = 52
	ESendError            = 55
	ERecvError            = 56
	ESSLCertProblem       = 58
	ESSLCipher            = 59
	ESSLCACert            = 60
	EBadContentEncoding   = 61
	EFilesizeExceeded     = 63
	ELoginDenied          = 67
	eUnsupportedAuthToken = 4 // CURLE_NOT_BUILT_IN in later libcurl
)

var errorNames = map[string]int{
	"OK": EOK, "UNSUPPORTED_PROTOCOL": EUnsupportedProtocol, "URL_MALFORMAT": EURLMalformat,
	"COULDNT_RESOLVE_PROXY": ECouldntResolveProxy, "COULDNT_RESOLVE_HOST": ECouldntResolveHost,
	"COULDNT_CONNECT": ECouldntConnect, "PARTIAL_FILE": EPartialFile,
	"HTTP_RETURNED_ERROR": EHTTPReturnedError, "WRITE_ERROR": EWriteError, "READ_ERROR": EReadError,
	"OPERATION_TIMEDOUT": EOperationTimedout, "OPERATION_TIMEOUTED": EOperationTimedout,
	"SSL_CONNECT_ERROR": ESSLConnectError, "ABORTED_BY_CALLBACK": EAbortedByCallback,
	"BAD_FUNCTION_ARGUMENT": EBadFunctionArgument, "INTERFACE_FAILED": EInterfaceFailed,
	"TOO_MANY_REDIRECTS": ETooManyRedirects, "SSL_PEER_CERTIFICATE": ESSLPeerCertificate,
	"PEER_FAILED_VERIFICATION": ESSLPeerCertificate, "GOT_NOTHING": EGotNothing,
	"SEND_ERROR": ESendError, "RECV_ERROR": ERecvError, "SSL_CERTPROBLEM": ESSLCertProblem,
	"SSL_CIPHER": ESSLCipher, "SSL_CACERT": ESSLCACert, "BAD_CONTENT_ENCODING": EBadContentEncoding,
	"FILESIZE_EXCEEDED": EFilesizeExceeded, "LOGIN_DENIED": ELoginDenied, "NOT_BUILT_IN": eUnsupportedAuthToken,
}

// errorTexts are curl_easy_strerror's texts.
var errorTexts = map[int]string{
	EOK:                   "No error",
	EUnsupportedProtocol:  "Unsupported protocol",
	EURLMalformat:         "URL using bad/illegal format or missing URL",
	eUnsupportedAuthToken: "A requested feature, protocol or option was not found built-in in this libcurl due to a build-time decision.",
	ECouldntResolveProxy:  "Couldn't resolve proxy name",
	ECouldntResolveHost:   "Couldn't resolve host name",
	ECouldntConnect:       "Couldn't connect to server",
	EPartialFile:          "Transferred a partial file",
	EHTTPReturnedError:    "HTTP response code said error",
	EWriteError:           "Failed writing received data to disk/application",
	EReadError:            "Failed to open/read local data from file/application",
	EOperationTimedout:    "Timeout was reached",
	ESSLConnectError:      "SSL connect error",
	EAbortedByCallback:    "Operation was aborted by an application callback",
	EBadFunctionArgument:  "A libcurl function was given a bad argument",
	EInterfaceFailed:      "Failed binding local connection end",
	ETooManyRedirects:     "Number of redirects hit maximum amount",
	ESSLPeerCertificate:   "SSL peer certificate or SSH remote key was not OK",
	EGotNothing:           "Server returned nothing (no headers, no data)",
	ESendError:            "Failed sending data to the peer",
	ERecvError:            "Failure when receiving data from the peer",
	ESSLCertProblem:       "Problem with the local SSL certificate",
	ESSLCipher:            "Couldn't use specified SSL cipher",
	ESSLCACert:            "Peer certificate cannot be authenticated with given CA certificates",
	EBadContentEncoding:   "Unrecognized or bad HTTP Content or Transfer-Encoding",
	EFilesizeExceeded:     "Maximum file size exceeded",
	ELoginDenied:          "Login denied",
}

// Strerror is curl_easy_strerror.
func Strerror(code int) string {
	if s, ok := errorTexts[code]; ok {
		return s
	}
	return "Unknown error " + strconv.Itoa(code)
}

// Info numbers (CURLINFO_*): a type base plus the item's number.
const (
	infoString = 0x100000
	infoLong   = 0x200000
	infoDouble = 0x300000

	InfoEffectiveURL          = infoString + 1
	InfoResponseCode          = infoLong + 2
	InfoTotalTime             = infoDouble + 3
	InfoNameLookupTime        = infoDouble + 4
	InfoConnectTime           = infoDouble + 5
	InfoPretransferTime       = infoDouble + 6
	InfoSizeUpload            = infoDouble + 7
	InfoSizeDownload          = infoDouble + 8
	InfoSpeedDownload         = infoDouble + 9
	InfoSpeedUpload           = infoDouble + 10
	InfoHeaderSize            = infoLong + 11
	InfoRequestSize           = infoLong + 12
	InfoSSLVerifyResult       = infoLong + 13
	InfoFiletime              = infoLong + 14
	InfoContentLengthDownload = infoDouble + 15
	InfoContentLengthUpload   = infoDouble + 16
	InfoStartTransferTime     = infoDouble + 17
	InfoContentType           = infoString + 18
	InfoRedirectTime          = infoDouble + 19
	InfoRedirectCount         = infoLong + 20
	InfoNumConnects           = infoLong + 26
)

var infoNames = map[string]int{
	"EFFECTIVE_URL": InfoEffectiveURL, "RESPONSE_CODE": InfoResponseCode, "HTTP_CODE": InfoResponseCode,
	"TOTAL_TIME": InfoTotalTime, "NAMELOOKUP_TIME": InfoNameLookupTime, "CONNECT_TIME": InfoConnectTime,
	"PRETRANSFER_TIME": InfoPretransferTime, "SIZE_UPLOAD": InfoSizeUpload, "SIZE_DOWNLOAD": InfoSizeDownload,
	"SPEED_DOWNLOAD": InfoSpeedDownload, "SPEED_UPLOAD": InfoSpeedUpload, "HEADER_SIZE": InfoHeaderSize,
	"REQUEST_SIZE": InfoRequestSize, "SSL_VERIFYRESULT": InfoSSLVerifyResult, "FILETIME": InfoFiletime,
	"CONTENT_LENGTH_DOWNLOAD": InfoContentLengthDownload, "CONTENT_LENGTH_UPLOAD": InfoContentLengthUpload,
	"STARTTRANSFER_TIME": InfoStartTransferTime, "CONTENT_TYPE": InfoContentType,
	"REDIRECT_TIME": InfoRedirectTime, "REDIRECT_COUNT": InfoRedirectCount, "NUM_CONNECTS": InfoNumConnects,
}

// Values of options, as curl.<NAME>.
const (
	HTTPVersionNone = 0
	HTTPVersion10   = 1
	HTTPVersion11   = 2

	SSLVersionDefault = 0
	SSLVersionTLSv1   = 1
	SSLVersionSSLv2   = 2
	SSLVersionSSLv3   = 3
	SSLVersionTLSv10  = 4
	SSLVersionTLSv11  = 5
	SSLVersionTLSv12  = 6
	SSLVersionTLSv13  = 7

	AuthNone   = 0
	AuthBasic  = 1 << 0
	AuthDigest = 1 << 1
	AuthGSS    = 1 << 2
	AuthNTLM   = 1 << 3

	IPResolveWhatever = 0
	IPResolveV4       = 1
	IPResolveV6       = 2

	TimeCondNone         = 0
	TimeCondIfModSince   = 1
	TimeCondIfUnmodSince = 2

	ProxyHTTP   = 0
	ProxySOCKS4 = 4
	ProxySOCKS5 = 5

	// ReadFuncAbort returned by a read function aborts the transfer.
	ReadFuncAbort = 0x10000000
)

var valueNames = map[string]int{
	"HTTP_VERSION_NONE": HTTPVersionNone, "HTTP_VERSION_1_0": HTTPVersion10, "HTTP_VERSION_1_1": HTTPVersion11,
	"SSLVERSION_DEFAULT": SSLVersionDefault, "SSLVERSION_TLSv1": SSLVersionTLSv1,
	"SSLVERSION_SSLv2": SSLVersionSSLv2, "SSLVERSION_SSLv3": SSLVersionSSLv3,
	"SSLVERSION_TLSv1_0": SSLVersionTLSv10, "SSLVERSION_TLSv1_1": SSLVersionTLSv11,
	"SSLVERSION_TLSv1_2": SSLVersionTLSv12, "SSLVERSION_TLSv1_3": SSLVersionTLSv13,
	"AUTH_NONE": AuthNone, "AUTH_BASIC": AuthBasic, "AUTH_DIGEST": AuthDigest,
	"AUTH_GSSNEGOTIATE": AuthGSS, "AUTH_NTLM": AuthNTLM, "AUTH_ANY": ^0, "AUTH_ANYSAFE": ^AuthBasic,
	"IPRESOLVE_WHATEVER": IPResolveWhatever, "IPRESOLVE_V4": IPResolveV4, "IPRESOLVE_V6": IPResolveV6,
	"TIMECOND_NONE": TimeCondNone, "TIMECOND_IFMODSINCE": TimeCondIfModSince,
	"TIMECOND_IFUNMODSINCE": TimeCondIfUnmodSince, "TIMECOND_LASTMOD": 3,
	"PROXY_HTTP": ProxyHTTP, "PROXY_SOCKS4": ProxySOCKS4, "PROXY_SOCKS5": ProxySOCKS5,
	"READFUNC_ABORT": ReadFuncAbort,
	"IOE_OK":         0, "IOE_UNKNOWNCMD": 1, "IOE_FAILRESTART": 2, "IOCMD_NOP": 0, "IOCMD_RESTARTREAD": 1,
	"CLOSEPOLICY_OLDEST": 1, "CLOSEPOLICY_LEAST_RECENTLY_USED": 2, "CLOSEPOLICY_LEAST_TRAFFIC": 3,
	"CLOSEPOLICY_SLOWEST": 4, "CLOSEPOLICY_CALLBACK": 5,
}
