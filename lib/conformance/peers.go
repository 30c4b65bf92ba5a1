package conformance

// The peers a scenario may name (KnownPeers) come with the components a
// process builds for them: linked in with the runner, so every user of it
// (msyshost test, the scriptlets tests) runs scenarios with peers.
import (
	// smsc: the SMSC simulator and the SMPP channel.
	_ "msyshost/lib/smppclient"
	_ "msyshost/lib/smsc"
	// mmsc: the MMSC simulator, the MM7 channel and the MM7 receiver.
	_ "msyshost/lib/mm7client"
	_ "msyshost/lib/mm7server"
	_ "msyshost/lib/mmsc"
)
