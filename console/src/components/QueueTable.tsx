import { Badge, Button, Checkbox, Group, Pagination, Select, Table, Text, UnstyledButton, VisuallyHidden } from '@mantine/core';
import type { EntrySummary } from '../api/operations';
import type { SortDirection } from '../api/queue-page';
import { ATTENTION, OK } from '../colors';

interface Props {
  items: EntrySummary[];
  total: number;
  page: number;
  pageSize: number;
  sort: SortDirection;
  selected: Set<string>;
  onSelect: (selected: Set<string>) => void;
  onPage: (page: number) => void;
  onPageSize: (size: number) => void;
  onSort: (sort: SortDirection) => void;
  onOpen: (orderId: string) => void;
}

const when = (iso: string) => new Date(iso).toLocaleString();

/** The queue page: selectable rows (for a redrive), sortable by moved-at, paged. */
export function QueueTable({ items, total, page, pageSize, sort, selected, onSelect, onPage, onPageSize, onSort, onOpen }: Props) {
  const selectable = items.filter((entry) => !entry.resolved);
  const allSelected = selectable.length > 0 && selectable.every((entry) => selected.has(entry.orderId));
  const someSelected = selectable.some((entry) => selected.has(entry.orderId));
  const toggle = (orderId: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(orderId);
    else next.delete(orderId);
    onSelect(next);
  };
  const toggleAll = (on: boolean) => {
    const next = new Set(selected);
    for (const entry of selectable) {
      if (on) next.add(entry.orderId);
      else next.delete(entry.orderId);
    }
    onSelect(next);
  };
  const pages = Math.max(1, Math.ceil(total / pageSize));

  return (
    <>
      <Table.ScrollContainer minWidth={760} className="console-table-wrap">
        <Table striped highlightOnHover verticalSpacing="xs" aria-label="Dead letter queue entries" data-testid="queue-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={40}>
                <Checkbox
                  aria-label="Select every unresolved entry of this page"
                  checked={allSelected}
                  indeterminate={someSelected && !allSelected}
                  onChange={(event) => toggleAll(event.currentTarget.checked)}
                  disabled={selectable.length === 0}
                />
              </Table.Th>
              <Table.Th>Order</Table.Th>
              <Table.Th>Customer</Table.Th>
              <Table.Th>Failure status</Table.Th>
              <Table.Th>Reason</Table.Th>
              <Table.Th>Retries</Table.Th>
              <Table.Th aria-sort={sort === 'desc' ? 'descending' : 'ascending'}>
                <UnstyledButton onClick={() => onSort(sort === 'desc' ? 'asc' : 'desc')} fw={700} fz="sm" data-testid="sort-moved-at">
                  Moved at {sort === 'desc' ? '↓' : '↑'}
                  <VisuallyHidden>{sort === 'desc' ? ', newest first: sort oldest first' : ', oldest first: sort newest first'}</VisuallyHidden>
                </UnstyledButton>
              </Table.Th>
              <Table.Th>State</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((entry) => (
              <Table.Tr key={entry.orderId} data-order-id={entry.orderId}>
                <Table.Td>
                  <Checkbox
                    aria-label={`Select ${entry.orderId}`}
                    checked={selected.has(entry.orderId)}
                    disabled={entry.resolved}
                    onChange={(event) => toggle(entry.orderId, event.currentTarget.checked)}
                  />
                </Table.Td>
                <Table.Td>
                  <Button
                    variant="subtle"
                    size="compact-sm"
                    onClick={() => onOpen(entry.orderId)}
                    aria-label={`Details of ${entry.orderId}`}
                    className="console-mono"
                  >
                    {entry.orderId}
                  </Button>
                </Table.Td>
                <Table.Td>{entry.customerId}</Table.Td>
                <Table.Td>{entry.failureStatus}</Table.Td>
                <Table.Td>
                  <Text size="sm" lineClamp={2}>
                    {entry.failureReason}
                  </Text>
                </Table.Td>
                <Table.Td>{entry.retryCount}</Table.Td>
                <Table.Td>{when(entry.createdAt)}</Table.Td>
                <Table.Td>
                  {entry.resolved ? (
                    <Badge color={OK} variant="filled">
                      {entry.resolution?.toLowerCase().replace('_', ' ')}
                    </Badge>
                  ) : (
                    <Badge color={ATTENTION} variant="filled">
                      unresolved
                    </Badge>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
            {items.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={8}>
                  <Text ta="center" py="md">
                    No entries match.
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group justify="space-between" mt="sm" wrap="wrap" gap="sm">
        <Text size="sm" data-testid="queue-total">
          {total} {total === 1 ? 'entry' : 'entries'}
          {selected.size ? ` · ${selected.size} selected` : ''}
        </Text>
        <Group gap="sm" wrap="wrap">
          <Select
            aria-label="Entries per page"
            data={['10', '25', '50', '100']}
            value={String(pageSize)}
            onChange={(next) => onPageSize(Number(next ?? pageSize))}
            allowDeselect={false}
            w={90}
          />
          <Pagination
            total={pages}
            value={page + 1}
            onChange={(next) => onPage(next - 1)}
            size="sm"
            siblings={1}
            boundaries={1}
            getControlProps={(control) => ({ 'aria-label': `${control} page` })}
          />
        </Group>
      </Group>
    </>
  );
}
