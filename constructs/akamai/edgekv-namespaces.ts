import { Construct } from "constructs";
import { Edgekv } from "../../.gen/providers/akamai/edgekv";
import { EdgekvGroupItems } from "../../.gen/providers/akamai/edgekv-group-items";
import type { EdgeKvNamespaceConfig } from "../../config/schema";

export interface EdgeKvNamespacesProps {
  namespaces: EdgeKvNamespaceConfig[];
  /** Protected environments add prevent_destroy: destroying a namespace loses its data. */
  protected: boolean;
}

/**
 * One `akamai_edgekv` per declared namespace, with geo_location always set (left out, the provider may
 * read back "US" and plan a replacement), plus the optional Terraform-managed groups of items.
 * Resource ids are `<name>_<network>`, stable across config reordering.
 */
export class EdgeKvNamespaces extends Construct {
  readonly namespaces: Edgekv[] = [];

  constructor(scope: Construct, id: string, props: EdgeKvNamespacesProps) {
    super(scope, id);
    for (const ns of props.namespaces) {
      const namespace = new Edgekv(this, `${ns.name}_${ns.network}`, {
        namespaceName: ns.name,
        network: ns.network,
        groupId: ns.groupId,
        retentionInSeconds: ns.retentionSeconds,
        geoLocation: ns.geoLocation,
        lifecycle: { preventDestroy: props.protected },
      });
      // Stateful: the address must not move when constructs are reorganised.
      namespace.overrideLogicalId(`${ns.name}_${ns.network}`);
      this.namespaces.push(namespace);
      for (const [groupName, items] of Object.entries(ns.groups ?? {})) {
        // depends_on: the namespace can only be deleted after its groups are gone.
        new EdgekvGroupItems(this, `${ns.name}_${ns.network}_${groupName}`, {
          namespaceName: namespace.namespaceName,
          network: ns.network,
          groupName,
          items,
          dependsOn: [namespace],
        });
      }
    }
  }
}
