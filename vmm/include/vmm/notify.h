/*
 * How a device model signals a peer PD (a serial or block virtualiser) on one of the VMM's
 * channels. In a VMM PD this is microkit_notify (vmm.c); host tests link their own, to see the
 * signals a device sends.
 */
#pragma once

void vmm_notify(unsigned channel);
