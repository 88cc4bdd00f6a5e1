import { useQuery } from '@tanstack/react-query';
import { api, query } from '../api/client';
import { Field } from '../ui';

interface StaffMember {
  id: string;
  name: string;
  role: string;
}

/** A choice among the organisation's active staff and admins (care managers, covers, supervisors). */
export function StaffPicker({
  label,
  value,
  onChange,
  exclude = [],
  error,
}: {
  label: string;
  value: string;
  onChange: (id: string) => void;
  exclude?: string[];
  error?: string;
}) {
  const people = useQuery({
    queryKey: ['users', 'staff-and-admins'],
    queryFn: async () => {
      const [staff, admins] = await Promise.all(
        (['staff', 'admin'] as const).map((role) => api.get<{ items: StaffMember[] }>(`/v1/users${query({ role, status: 'active', limit: 100 })}`)),
      );
      return [...staff.items, ...admins.items].sort((a, b) => a.name.localeCompare(b.name));
    },
    staleTime: 60_000,
  });
  return (
    <Field label={label} error={error}>
      {(props) => (
        <select {...props} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">Choose someone</option>
          {(people.data ?? [])
            .filter((person) => !exclude.includes(person.id))
            .map((person) => (
              <option key={person.id} value={person.id}>
                {person.name}
              </option>
            ))}
        </select>
      )}
    </Field>
  );
}
