import { cpus, loadavg, platform, release, totalmem } from 'node:os';

/** Factual description of the machine and runtime a run was measured on. */
export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  /** 1-minute load average when the run started (other processes share the cores). */
  loadAtStart: number;
}

/** Describes this machine now. */
export function describeMachine(): MachineInfo {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: totalmem() / 1_073_741_824,
    os: `${platform()} ${release()}`,
    node: process.version,
    loadAtStart: loadavg()[0] ?? 0,
  };
}

/** One-line machine description for reports. */
export function machineLine(machine: MachineInfo): string {
  return `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB.toFixed(1)} GiB RAM, ${machine.os}, Node ${machine.node}, 1-min load average at start ${machine.loadAtStart.toFixed(2)}`;
}
