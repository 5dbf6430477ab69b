/** The API's roles (DESIGN.md, "Contracts added with trust"): Kubernetes-style verbs, least privilege. */
export const ROLES = ['viewer', 'operator', 'admin', 'alertmanager'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: a named token or basic-auth user with a role, or nobody on an open loopback API. */
export interface Principal {
  /** Token name or basic-auth user name; `anonymous` when the API runs without credentials. */
  name: string;
  role: Role;
  via: 'token' | 'basic' | 'alertmanager-token' | 'none';
}

/** What each role may do beyond reading; `viewer` reads, `alertmanager` only posts alerts. */
const GRANTS: Record<Role, ReadonlySet<Role>> = {
  viewer: new Set(['viewer']),
  operator: new Set(['viewer', 'operator']),
  admin: new Set(['viewer', 'operator', 'admin', 'alertmanager']),
  alertmanager: new Set(['alertmanager']),
};

/** Whether `role` holds the permissions of `needed`. */
export function roleAllows(role: Role, needed: Role): boolean {
  return GRANTS[role].has(needed);
}

/** The role a command type needs: operators run the everyday fixes; changing what runs where is for admins. */
export function roleForCommand(type: string): Role {
  return type === 'apply' || type === 'release' || type === 'migrate' ? 'admin' : 'operator';
}
