import { Group, NumberInput, Select, TextInput } from '@mantine/core';

export interface FilterValues {
  resolved: 'unresolved' | 'resolved' | 'all';
  failureStatus: string;
  customerId: string;
  olderThanHours: number | '';
}

export const DEFAULT_FILTERS: FilterValues = { resolved: 'unresolved', failureStatus: '', customerId: '', olderThanHours: '' };

interface Props {
  value: FilterValues;
  onChange: (value: FilterValues) => void;
  failureStatuses: string[];
}

/** The list filters of the API (DeadLetterFilter), every one labelled. */
export function QueueFilters({ value, onChange, failureStatuses }: Props) {
  const set = <K extends keyof FilterValues>(key: K, next: FilterValues[K]) => onChange({ ...value, [key]: next });
  return (
    <Group align="flex-end" gap="sm" wrap="wrap" role="search" aria-label="Filter the queue">
      <Select
        label="Resolved"
        data={[
          { value: 'unresolved', label: 'Unresolved' },
          { value: 'resolved', label: 'Resolved' },
          { value: 'all', label: 'All' },
        ]}
        value={value.resolved}
        onChange={(next) => set('resolved', (next ?? 'unresolved') as FilterValues['resolved'])}
        allowDeselect={false}
        w={150}
      />
      <TextInput
        label="Failure status"
        placeholder={failureStatuses.slice(0, 2).join(', ') || 'e.g. picking'}
        value={value.failureStatus}
        onChange={(event) => set('failureStatus', event.currentTarget.value)}
        w={170}
      />
      <TextInput
        label="Customer"
        placeholder="customer id"
        value={value.customerId}
        onChange={(event) => set('customerId', event.currentTarget.value)}
        w={170}
      />
      <NumberInput
        label="Older than (hours)"
        min={0}
        step={1}
        decimalScale={2}
        value={value.olderThanHours}
        onChange={(next) => set('olderThanHours', typeof next === 'number' ? next : next === '' ? '' : Number(next))}
        w={150}
      />
    </Group>
  );
}
