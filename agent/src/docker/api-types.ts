/**
 * The Docker Engine API shapes Krint sends and reads, with only the fields it uses. Fields the
 * daemon may omit or send as `null` are typed so; anything else the daemon sends is ignored.
 */

export type Labels = Record<string, string>;

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

/** `GET /version` */
export interface DockerVersion {
  Version: string;
  ApiVersion: string;
  Os?: string;
  Arch?: string;
}

/** One entry of `GET /containers/json` */
export interface ContainerSummary {
  Id: string;
  Names?: string[];
  Image?: string;
  State?: string;
  Labels?: Labels | null;
  Ports?: { PrivatePort: number; PublicPort?: number; Type: string; IP?: string }[] | null;
  Mounts?: { Type?: string; Name?: string }[] | null;
  Created?: number;
}

/** `GET /containers/{id}/json` */
export interface ContainerInspect {
  Id: string;
  Name: string;
  RestartCount?: number;
  Config: {
    Image?: string;
    Labels?: Labels | null;
    Env?: string[] | null;
    Tty?: boolean;
    ExposedPorts?: Record<string, object> | null;
  };
  State: {
    Status: string;
    Running?: boolean;
    StartedAt?: string;
    ExitCode: number;
    Health?: { Status: string } | null;
  };
  HostConfig: {
    PortBindings?: Record<string, PortBinding[] | null> | null;
  };
  NetworkSettings?: {
    /** Networks the container is attached to, by name. */
    Networks?: Record<string, object | null> | null;
  } | null;
  Mounts?: { Type: string; Name?: string; Source?: string; Destination?: string }[] | null;
}

/** The body of `POST /containers/create` (the name goes in the query). */
export interface ContainerCreateOptions {
  name?: string;
  Image: string;
  Env?: string[];
  Cmd?: string[];
  Tty?: boolean;
  Labels?: Labels;
  ExposedPorts?: Record<string, Record<string, never>>;
  HostConfig?: {
    PortBindings?: Record<string, PortBinding[]>;
    Binds?: string[];
    RestartPolicy?: { Name: string; MaximumRetryCount?: number };
    ShmSize?: number;
    /** The network the container starts on instead of the default bridge. */
    NetworkMode?: string;
  };
  NetworkingConfig?: {
    EndpointsConfig?: Record<string, { Aliases?: string[] }>;
  };
}

/** The body of `POST /containers/{id}/exec` */
export interface ExecCreateOptions {
  Cmd: string[];
  Env?: string[];
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
}

/** `GET /exec/{id}/json` */
export interface ExecInspect {
  Running: boolean;
  ExitCode: number | null;
}

/** `GET /volumes/{name}` and the entries of `GET /volumes` */
export interface VolumeInspect {
  Name: string;
  Labels?: Labels | null;
  Mountpoint?: string;
}

/** `GET /volumes` */
export interface VolumeList {
  Volumes: VolumeInspect[] | null;
}

/** `GET /images/{name}/json` */
export interface ImageInspect {
  Id: string;
  RepoTags?: string[] | null;
}

/** One line of the progress stream of `POST /images/create` (error lines are thrown instead). */
export interface PullProgress {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
}

/** `GET /containers/{id}/stats?stream=false`, the fields the CPU and memory figures need. */
export interface ContainerStatsSample {
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
}

/** Label filters of the list endpoints, sent as Docker's JSON `filters` parameter. */
export interface ListFilters {
  label?: string[];
  name?: string[];
}

/** One line of `GET /events` (the fields Krint reads). */
export interface DockerEvent {
  Type?: string;
  /** `start`, `die`, `stop`, `oom`, `destroy`, ... */
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  /** Nanoseconds since the epoch. */
  timeNano?: number;
}
