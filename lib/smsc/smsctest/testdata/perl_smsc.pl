#!/usr/bin/perl
# An SMSC built on Debian's libnet-smpp-perl (Net::SMPP), for msyshost's
# interop tests. It answers with decimal message ids and sends receipts
# whose receipted_message_id TLV carries no NUL at all (Net::SMPP packs
# the value as given).
#
# Behaviour by destination address, as the node peer:
#   1666...  UNDELIV receipt (otherwise DELIVRD)
#   1777...  the receipt goes out before the submit_sm_resp
#   1888...  the first submit is left unanswered; at three held the
#            connection is closed; a resubmission is answered
# Prints "LISTENING <port>" once ready; exits when stdin closes.
use strict;
use warnings;
use IO::Select;
use Time::HiRes qw(time);
use Net::SMPP;

$| = 1;
my $ls = Net::SMPP->new_listen('127.0.0.1', port => 0, smpp_version => 0x34)
  or die "listen: $!";
print "LISTENING ", $ls->sockport, "\n";

my $sel = IO::Select->new($ls, \*STDIN);
my %bound;      # fileno -> connection
my %held;       # fileno -> unanswered submits
my %seen1888;
my %inflight;  # fileno -> seq -> receipt awaiting its deliver_sm_resp
my @outbox;     # [due, sub, preferred fileno]
my $counter = 4200000000;

sub receipt_args {
    my ($sub) = @_;
    my $stat = $sub->{dest} =~ /^1666/ ? 'UNDELIV' : 'DELIVRD';
    my $dl = $stat eq 'DELIVRD' ? '001' : '000';
    my $err = $stat eq 'DELIVRD' ? '000' : '001';
    my $text = "id:$sub->{id} sub:001 dlvrd:$dl submit date:2601011200 done date:2601011201 stat:$stat err:$err text:";
    return (
        source_addr => $sub->{dest}, destination_addr => $sub->{source},
        esm_class => 0x04, short_message => $text,
        receipted_message_id => $sub->{id},
        message_state => pack('C', $stat eq 'DELIVRD' ? 2 : 5),
        async => 1,
    );
}

sub flush_outbox {
    my $now = time;
    my @keep;
    for my $r (@outbox) {
        my ($due, $sub, $pref) = @$r;
        my $c = (defined $pref && $bound{$pref}) ? $bound{$pref} : (values %bound)[0];
        if ($due > $now || !$c) { push @keep, $r; next; }
        my $seq = $c->deliver_sm(receipt_args($sub));
        $inflight{fileno($c)}{$seq} = $sub;
    }
    @outbox = @keep;
}

sub close_conn {
    my ($c) = @_;
    my $fn = fileno($c);
    if (defined $fn) {
        delete $bound{$fn};
        delete $held{$fn};
        # Receipts never answered go out again on another session.
        push @outbox, map { [time, $_, undef] } values %{ delete $inflight{$fn} || {} };
    }
    $sel->remove($c);
    close($c);
}

while (1) {
    my @ready = $sel->can_read(0.01);
    for my $h (@ready) {
        if ($h == \*STDIN) {
            my $line = <STDIN>;
            exit 0 unless defined $line;
            next;
        }
        if ($h == $ls) {
            my $c = $ls->accept or next;
            $sel->add($c);
            next;
        }
        my $pdu = $h->read_pdu();
        if (!$pdu) { close_conn($h); next; }
        my $cmd = $pdu->{cmd};
        my $fn = fileno($h);
        if ($cmd == 0x00000009 || $cmd == 0x00000001) {
            my $m = $cmd == 9 ? 'bind_transceiver_resp' : 'bind_receiver_resp';
            $h->$m(seq => $pdu->{seq}, system_id => 'perlsmsc');
            $bound{$fn} = $h;
        } elsif ($cmd == 0x00000002) {
            $h->bind_transmitter_resp(seq => $pdu->{seq}, system_id => 'perlsmsc');
        } elsif ($cmd == 0x00000015) {
            $h->enquire_link_resp(seq => $pdu->{seq});
        } elsif ($cmd == 0x00000006) {
            $h->unbind_resp(seq => $pdu->{seq});
            close_conn($h);
        } elsif ($cmd == 0x00000004) {
            my $dest = $pdu->{destination_addr};
            if ($dest =~ /^1888/ && !$seen1888{$dest}++) {
                if (++$held{$fn} >= 3) { close_conn($h); }
                next;
            }
            $counter++;
            my $sub = { id => "$counter", dest => $dest, source => $pdu->{source_addr} };
            my $wants = ($pdu->{registered_delivery} & 0x03) != 0;
            if ($wants && $dest =~ /^1777/ && $bound{$fn}) {
                my $seq = $h->deliver_sm(receipt_args($sub));
                $inflight{$fn}{$seq} = $sub;
                $h->submit_sm_resp(seq => $pdu->{seq}, message_id => $sub->{id});
                next;
            }
            $h->submit_sm_resp(seq => $pdu->{seq}, message_id => $sub->{id});
            push @outbox, [time + 0.02, $sub, $fn] if $wants;
        } elsif ($cmd == 0x80000005) {
            # deliver_sm_resp: a refused receipt is sent again later, as an
            # SMSC's retry schedule would.
            my $sub = delete $inflight{$fn}{$pdu->{seq}};
            push @outbox, [time + 0.2, $sub, undef] if $sub && $pdu->{status} != 0;
        } elsif ($cmd & 0x80000000) {
            # other responses need nothing
        } else {
            $h->generic_nack(seq => $pdu->{seq}, status => 3);
        }
    }
    flush_outbox();
}
