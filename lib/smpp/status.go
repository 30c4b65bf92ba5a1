package smpp

import "fmt"

// Status is a command_status value (5.1.3, table 5-2).
type Status uint32

const (
	ROK              Status = 0x00000000
	RInvMsgLen       Status = 0x00000001
	RInvCmdLen       Status = 0x00000002
	RInvCmdID        Status = 0x00000003
	RInvBndSts       Status = 0x00000004
	RAlyBnd          Status = 0x00000005
	RInvPrtFlg       Status = 0x00000006
	RInvRegDlvFlg    Status = 0x00000007
	RSysErr          Status = 0x00000008
	RInvSrcAdr       Status = 0x0000000A
	RInvDstAdr       Status = 0x0000000B
	RInvMsgID        Status = 0x0000000C
	RBindFail        Status = 0x0000000D
	RInvPaswd        Status = 0x0000000E
	RInvSysID        Status = 0x0000000F
	RCancelFail      Status = 0x00000011
	RReplaceFail     Status = 0x00000013
	RMsgQFul         Status = 0x00000014
	RInvSerTyp       Status = 0x00000015
	RInvNumDests     Status = 0x00000033
	RInvDLName       Status = 0x00000034
	RInvDestFlag     Status = 0x00000040
	RInvSubRep       Status = 0x00000042
	RInvEsmClass     Status = 0x00000043
	RCntSubDL        Status = 0x00000044
	RSubmitFail      Status = 0x00000045
	RInvSrcTON       Status = 0x00000048
	RInvSrcNPI       Status = 0x00000049
	RInvDstTON       Status = 0x00000050
	RInvDstNPI       Status = 0x00000051
	RInvSysTyp       Status = 0x00000053
	RInvRepFlag      Status = 0x00000054
	RInvNumMsgs      Status = 0x00000055
	RThrottled       Status = 0x00000058
	RInvSched        Status = 0x00000061
	RInvExpiry       Status = 0x00000062
	RInvDftMsgID     Status = 0x00000063
	RxTAppn          Status = 0x00000064
	RxPAppn          Status = 0x00000065
	RxRAppn          Status = 0x00000066
	RQueryFail       Status = 0x00000067
	RInvOptParStream Status = 0x000000C0
	ROptParNotAllwd  Status = 0x000000C1
	RInvParLen       Status = 0x000000C2
	RMissingOptParam Status = 0x000000C3
	RInvOptParamVal  Status = 0x000000C4
	RDeliveryFailure Status = 0x000000FE
	RUnknownErr      Status = 0x000000FF
)

var statusNames = map[Status]string{
	ROK: "ESME_ROK", RInvMsgLen: "ESME_RINVMSGLEN", RInvCmdLen: "ESME_RINVCMDLEN", RInvCmdID: "ESME_RINVCMDID",
	RInvBndSts: "ESME_RINVBNDSTS", RAlyBnd: "ESME_RALYBND", RInvPrtFlg: "ESME_RINVPRTFLG",
	RInvRegDlvFlg: "ESME_RINVREGDLVFLG", RSysErr: "ESME_RSYSERR", RInvSrcAdr: "ESME_RINVSRCADR",
	RInvDstAdr: "ESME_RINVDSTADR", RInvMsgID: "ESME_RINVMSGID", RBindFail: "ESME_RBINDFAIL",
	RInvPaswd: "ESME_RINVPASWD", RInvSysID: "ESME_RINVSYSID", RCancelFail: "ESME_RCANCELFAIL",
	RReplaceFail: "ESME_RREPLACEFAIL", RMsgQFul: "ESME_RMSGQFUL", RInvSerTyp: "ESME_RINVSERTYP",
	RInvNumDests: "ESME_RINVNUMDESTS", RInvDLName: "ESME_RINVDLNAME", RInvDestFlag: "ESME_RINVDESTFLAG",
	RInvSubRep: "ESME_RINVSUBREP", RInvEsmClass: "ESME_RINVESMCLASS", RCntSubDL: "ESME_RCNTSUBDL",
	RSubmitFail: "ESME_RSUBMITFAIL", RInvSrcTON: "ESME_RINVSRCTON", RInvSrcNPI: "ESME_RINVSRCNPI",
	RInvDstTON: "ESME_RINVDSTTON", RInvDstNPI: "ESME_RINVDSTNPI", RInvSysTyp: "ESME_RINVSYSTYP",
	RInvRepFlag: "ESME_RINVREPFLAG", RInvNumMsgs: "ESME_RINVNUMMSGS", RThrottled: "ESME_RTHROTTLED",
	RInvSched: "ESME_RINVSCHED", RInvExpiry: "ESME_RINVEXPIRY", RInvDftMsgID: "ESME_RINVDFTMSGID",
	RxTAppn: "ESME_RX_T_APPN", RxPAppn: "ESME_RX_P_APPN", RxRAppn: "ESME_RX_R_APPN",
	RQueryFail: "ESME_RQUERYFAIL", RInvOptParStream: "ESME_RINVOPTPARSTREAM",
	ROptParNotAllwd: "ESME_ROPTPARNOTALLWD", RInvParLen: "ESME_RINVPARLEN",
	RMissingOptParam: "ESME_RMISSINGOPTPARAM", RInvOptParamVal: "ESME_RINVOPTPARAMVAL",
	RDeliveryFailure: "ESME_RDELIVERYFAILURE", RUnknownErr: "ESME_RUNKNOWNERR",
}

func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	if s >= 0x400 && s <= 0x4FF {
		return fmt.Sprintf("vendor status 0x%08X", uint32(s))
	}
	return fmt.Sprintf("status 0x%08X", uint32(s))
}

// Temporary reports whether a submission refused with s may succeed when
// tried again later. The split follows Momentum's table of command status
// codes: a system error, a full queue, a failed submit, throttling and
// the receiver's temporary application error are temporary; everything
// else, vendor-specific codes included, is permanent.
func (s Status) Temporary() bool {
	switch s {
	case RSysErr, RMsgQFul, RSubmitFail, RThrottled, RxTAppn:
		return true
	}
	return false
}

// Error is a PDU that could not be decoded, with the command_status that
// answers it (5.1.3) and whether the stream is still in step: a bad
// command_length leaves no way to find the next PDU.
type Error struct {
	Status Status
	Field  string // the field at fault, when one is
	Msg    string
	// Fatal is set when the connection must be closed after answering.
	Fatal bool
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	return fmt.Sprintf("smpp: %s (%s)", s, e.Status)
}

func errorf(st Status, field, format string, args ...any) *Error {
	return &Error{Status: st, Field: field, Msg: fmt.Sprintf(format, args...)}
}
