#ifndef TOYTCP_CPCAP_SHIM_H
#define TOYTCP_CPCAP_SHIM_H
#include <stdio.h>
#include <pcap/pcap.h>
#include <pcap/dlt.h>
#include <net/if.h>
#endif
