/// The demo's metrics and rules: a realistic small price list for the
/// simulated cloud (docs/METRICS.md, docs/RATING.md).
public enum DemoFiles {
    public static let metrics = """
    # Hourly windows; the flavour is part of an instance's window identity so a
    # resize splits the hour it happens in.
    time_zone: UTC
    idle_timeout: PT5S
    metrics:
      instance:
        unit: instance-hour
        aggregation: max
        period: PT1H
        grace: PT10M
        groupby: [id, project_id, {name: flavor_name, from: [flavor_name, flavor.name, instance_type]}]
        metadata: [vcpus]
      vcpus:
        unit: vcpu-hour
        aggregation: max
        period: PT1H
        grace: PT10M
      volume.size:
        unit: GiB-hour
        aggregation: max
        period: PT1H
        grace: PT10M
        metadata: [volume_type]
      network.outgoing.bytes:
        alt_name: egress
        unit: GiB
        factor: 0.000000000931322574615478515625
        aggregation: increase
        period: PT1H
        grace: PT10M
      cpu:
        unit: cpu-hour
        factor: 0.0000000000002777777777777777777777777778
        aggregation: increase
        period: PT1H
        grace: PT10M

    """

    public static let rules = """
    version: 1
    modules:
      hashmap: {enabled: true, priority: 3}
    groups: [compute, storage, network]
    services:
      instance:
        fields:
          flavor_name:
            mappings:
              - {id: m1-small, value: m1.small, type: flat, cost: 0.025, group: compute}
              - {id: m1-medium, value: m1.medium, type: flat, cost: 0.05, group: compute}
              - {id: m1-large, value: m1.large, type: flat, cost: 0.10, group: compute}
      volume.size:
        fields:
          volume_type:
            mappings:
              - {id: ssd-gold, value: SSD_gold, type: flat, cost: 0.0004, group: storage}
              - {id: ssd-silver, value: SSD_silver, type: flat, cost: 0.0003, group: storage}
              - {id: hdd-bronze, value: HDD_bronze, type: flat, cost: 0.0001, group: storage}
      egress:
        mappings:
          - {id: egress-per-gib, type: flat, cost: 0.08, group: network}

    """
}
